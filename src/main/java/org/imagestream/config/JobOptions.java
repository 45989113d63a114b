package org.imagestream.config;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.model.Domain;

/**
 * Every option of the classification job, with its default and description. Pass them to the job as
 * {@code --key value}; {@code --help} prints this list. Kafka client properties pass through
 * untouched with the prefix {@value #KAFKA_PROPERTIES_PREFIX}.
 */
public final class JobOptions {
    /** The default topic of a domain's images: {@code images-<domain>}. */
    public static String topicOf(Domain domain) {
        return "images-" + domain.id();
    }

    /**
     * {@code kafka.properties.security.protocol SSL} becomes the client property {@code
     * security.protocol}.
     */
    public static final String KAFKA_PROPERTIES_PREFIX = "kafka.properties.";

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS =
            ConfigOptions.key("kafka.bootstrap-servers")
                    .stringType()
                    .defaultValue("localhost:9092")
                    .withDescription("Kafka bootstrap servers (host:port,...).");

    public static final ConfigOption<List<String>> KAFKA_TOPICS =
            ConfigOptions.key("kafka.topics")
                    .stringType()
                    .asList()
                    .defaultValues(
                            topicOf(Domain.SOCIAL),
                            topicOf(Domain.REMOTE_SENSING),
                            topicOf(Domain.MEDICAL))
                    .withDescription(
                            "Topics to read images from (';'-separated). The domain comes from each record's 'domain' header.");

    public static final ConfigOption<String> KAFKA_GROUP_ID =
            ConfigOptions.key("kafka.group-id")
                    .stringType()
                    .defaultValue("imagestream")
                    .withDescription("Consumer group id; offsets are committed on checkpoints.");

    public static final ConfigOption<String> KAFKA_STARTING_OFFSETS =
            ConfigOptions.key("kafka.starting-offsets")
                    .stringType()
                    .defaultValue("committed")
                    .withDescription(
                            "Where a fresh job starts: 'committed' (group offsets, earliest if none), 'earliest' or 'latest'. A restore from a checkpoint or savepoint always uses the stored offsets.");

    public static final ConfigOption<Boolean> KAFKA_BOUNDED =
            ConfigOptions.key("kafka.bounded")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Stop at the offsets that are latest when the job starts (backfills, tests); the job then finishes.");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC =
            ConfigOptions.key("kafka.dead-letter-topic")
                    .stringType()
                    .defaultValue("images-dead-letter")
                    .withDescription(
                            "Topic that receives every record the job cannot classify, with the reason in headers.");

    public static final ConfigOption<String> DEAD_LETTER_TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("kafka.dead-letter-transactional-id-prefix")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Transactional id prefix of the exactly-once dead-letter producer; must be unique per job on a Kafka cluster, and stay the same across restarts of one job. Default: imagestream-dl- and a hash of kafka.group-id, kafka.topics and kafka.dead-letter-topic, so two jobs reading different topics or in different groups never fence each other.");

    public static final ConfigOption<Duration> DEAD_LETTER_TRANSACTION_TIMEOUT =
            ConfigOptions.key("kafka.dead-letter-transaction-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(15))
                    .withDescription(
                            "transaction.timeout.ms of the dead-letter producer. Checked at start: at least (tolerable failed checkpoints + 1) x (checkpoint timeout + interval), so the broker never aborts a transaction the job will still commit, and at most the broker's transaction.max.timeout.ms.");

    public static final ConfigOption<Boolean> DEAD_LETTER_FAIL_ON_LOST_COMMIT =
            ConfigOptions.key("kafka.dead-letter-fail-on-lost-commit")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Fail the job when a dead-letter transaction cannot be committed (the broker aborted or fenced it, so its dead letters are lost). The restored checkpoint holds the same transaction, so the job keeps failing until an operator restores an earlier retained checkpoint (its replay writes the letters again) or sets this to false to accept the loss. Either way the loss is counted in transactionsLost and numCommittablesFailure.");

    public static final ConfigOption<List<String>> CASSANDRA_CONTACT_POINTS =
            ConfigOptions.key("cassandra.contact-points")
                    .stringType()
                    .asList()
                    .defaultValues("127.0.0.1:9042")
                    .withDescription("Cassandra contact points (host:port;...).");

    public static final ConfigOption<String> CASSANDRA_LOCAL_DATACENTER =
            ConfigOptions.key("cassandra.local-datacenter")
                    .stringType()
                    .defaultValue("datacenter1")
                    .withDescription("Local datacenter for the driver's load balancing.");

    public static final ConfigOption<String> CASSANDRA_KEYSPACE =
            ConfigOptions.key("cassandra.keyspace")
                    .stringType()
                    .defaultValue("imagestream")
                    .withDescription("Keyspace holding results and blobs.");

    public static final ConfigOption<Boolean> CASSANDRA_KEYSPACE_PER_DOMAIN =
            ConfigOptions.key("cassandra.keyspace-per-domain")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Put each domain's tables in its own keyspace, <cassandra.keyspace>_social, _remote_sensing and _medical, so a Cassandra role can be limited to medical or to non-medical data. The job creates and writes only the keyspaces of the domains it has models for.");

    public static final ConfigOption<Integer> CASSANDRA_REPLICATION_FACTOR =
            ConfigOptions.key("cassandra.replication-factor")
                    .intType()
                    .defaultValue(1)
                    .withDescription("Replication factor used when the job creates the keyspace.");

    public static final ConfigOption<String> CASSANDRA_REPLICATION_STRATEGY =
            ConfigOptions.key("cassandra.replication-strategy")
                    .stringType()
                    .defaultValue("SimpleStrategy")
                    .withDescription(
                            "SimpleStrategy or NetworkTopologyStrategy (the factor then applies to the local datacenter), used when the job creates the keyspace.");

    public static final ConfigOption<String> CASSANDRA_CONSISTENCY =
            ConfigOptions.key("cassandra.consistency")
                    .stringType()
                    .defaultValue("LOCAL_QUORUM")
                    .withDescription("Consistency level of every read and write.");

    public static final ConfigOption<String> CASSANDRA_DRIVER_CONFIG_FILE =
            ConfigOptions.key("cassandra.driver-config-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "A Cassandra driver application.conf for any other driver setting; the cassandra.* options here take precedence.");

    public static final ConfigOption<String> CASSANDRA_USERNAME =
            ConfigOptions.key("cassandra.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "User for PasswordAuthenticator; the password comes from cassandra.password-file.");

    public static final ConfigOption<String> CASSANDRA_PASSWORD_FILE =
            ConfigOptions.key("cassandra.password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "File holding the Cassandra password (read on each TaskManager; never logged).");

    public static final ConfigOption<String> CASSANDRA_TRUSTSTORE =
            ConfigOptions.key("cassandra.ssl.truststore")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Trust store (JKS/PKCS12) enabling client TLS to Cassandra.");

    public static final ConfigOption<String> CASSANDRA_TRUSTSTORE_PASSWORD_FILE =
            ConfigOptions.key("cassandra.ssl.truststore-password-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("File holding the trust store password.");

    public static final ConfigOption<Duration> CASSANDRA_TTL_SOCIAL =
            ConfigOptions.key("cassandra.ttl.social")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription("Time to live of social rows and blobs; 0 keeps them.");

    public static final ConfigOption<Duration> CASSANDRA_TTL_REMOTE_SENSING =
            ConfigOptions.key("cassandra.ttl.remote-sensing")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription(
                            "Time to live of remote-sensing rows and blobs; 0 keeps them.");

    public static final ConfigOption<Duration> CASSANDRA_TTL_MEDICAL =
            ConfigOptions.key("cassandra.ttl.medical")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription("Time to live of medical rows and blobs; 0 keeps them.");

    public static final ConfigOption<Boolean> CASSANDRA_EXPIRATION_PAST_2038 =
            ConfigOptions.key("cassandra.expiration-past-2038")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Allow TTLs that expire after 2038-01-19T03:14:06Z. Cassandra 5.0 refuses such writes under its default storage_compatibility_mode (CASSANDRA_4); set this only when every node runs storage_compatibility_mode: NONE. TTLs are checked when the options are parsed, so a refusal never reaches a write.");

    public static final ConfigOption<Boolean> CASSANDRA_CREATE_SCHEMA =
            ConfigOptions.key("cassandra.create-schema")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Create the keyspace and tables at job start if missing.");

    public static final ConfigOption<Integer> CASSANDRA_MAX_IN_FLIGHT =
            ConfigOptions.key("cassandra.max-in-flight-requests")
                    .intType()
                    .defaultValue(64)
                    .withDescription("Per sink subtask; more requests wait (back-pressure).");

    public static final ConfigOption<Integer> CASSANDRA_CHUNK_SIZE =
            ConfigOptions.key("cassandra.blob-chunk-size")
                    .intType()
                    .defaultValue(256 * 1024)
                    .withDescription("Blob chunk size in bytes (1 KiB to 1 MiB).");

    public static final ConfigOption<Duration> MODEL_POLL_INTERVAL =
            ConfigOptions.key("model.poll-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "How often model roots are checked for a new version; 0 disables roll-out without restart.");

    public static final ConfigOption<String> MODEL_SOCIAL_DIR =
            ConfigOptions.key("model.social.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Directory of the social model (SavedModel + model.json), or a model root of numbered versions whose highest is served and newer ones rolled out while the job runs (model.poll-interval).");

    public static final ConfigOption<String> MODEL_REMOTE_SENSING_DIR =
            ConfigOptions.key("model.remote-sensing.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Directory of the remote-sensing model.");

    public static final ConfigOption<String> MODEL_MEDICAL_DIR =
            ConfigOptions.key("model.medical.dir")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Directory of the medical model.");

    public static final ConfigOption<Integer> ROUTING_SHARDS =
            ConfigOptions.key("routing.shards")
                    .intType()
                    .defaultValue(64)
                    .withDescription(
                            "Logical shards on the consistent-hash ring; the stream is keyed by shard.");

    public static final ConfigOption<Integer> ROUTING_VIRTUAL_NODES =
            ConfigOptions.key("routing.virtual-nodes")
                    .intType()
                    .defaultValue(8192)
                    .withDescription(
                            "Virtual nodes per shard on the ring (more: better key balance, 12 bytes each).");

    public static final ConfigOption<String> ROUTING_KEY =
            ConfigOptions.key("routing.key")
                    .stringType()
                    .defaultValue("content-hash")
                    .withDescription(
                            "What the ring hashes: 'content-hash' (SHA-256 of the bytes: identical images meet, enabling dedup) or 'source-id' (images of one source meet; falls back to the content hash when a record has no source id).");

    public static final ConfigOption<Duration> DEDUP_TTL =
            ConfigOptions.key("routing.dedup-ttl")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "How long a classified content hash is remembered; an identical image within it reuses the earlier classification instead of running the model. 0 disables dedup.");

    public static final ConfigOption<Integer> INFERENCE_MAX_BATCH_SIZE =
            ConfigOptions.key("inference.max-batch-size")
                    .intType()
                    .defaultValue(128)
                    .withDescription(
                            "Images per model call at most (per domain, per subtask). 128 reaches the seed models' batched TF ceiling on 2 cores (docs/benchmarks.md); under light load batches stay smaller because inference.max-batch-delay flushes them.");

    public static final ConfigOption<MemorySize> INFERENCE_MAX_BATCH_BYTES =
            ConfigOptions.key("inference.max-batch-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(8))
                    .withDescription(
                            "Heap the model inputs of one domain's batch take per classify subtask when it is full (4 bytes a value); a batch is full at inference.max-batch-size inputs or once its inputs take this much, whichever comes first, and takes the image that crosses it: at 8 MiB, 14 inputs of a 224x224x3 model (588 KiB each, 8.04 MiB), where inference.max-batch-size would let 128 take 77 MB (MobileNetV2 ran as fast in batches of 13 as of 32, docs/benchmarks.md). A batch always takes at least one image; a tiled scene's groups of tiles stay within it.");

    public static final ConfigOption<Integer> INFERENCE_TENSORFLOW_THREADS =
            ConfigOptions.key("inference.tensorflow-threads")
                    .intType()
                    .defaultValue(-1)
                    .withDescription(
                            "Threads in the intra-op and inter-op pools each TensorFlow session gets of its own. -1 (default): the slot's share of the TaskManager's cores, max(1, cores / taskmanager.numberOfTaskSlots), so the classify subtasks of all slots run their models side by side without oversubscribing the machine (docs/benchmarks.md); 0 keeps TensorFlow's default: pools of a thread per core, the inter-op pool shared by every session in the TaskManager, the intra-op pool too unless the TaskManager's environment has TF_OVERRIDE_GLOBAL_THREADPOOL=1 (flink-conf/ declares it), where each session gets one of its own; n > 0: n threads.");

    public static final ConfigOption<Duration> INFERENCE_MAX_BATCH_DELAY =
            ConfigOptions.key("inference.max-batch-delay")
                    .durationType()
                    .defaultValue(Duration.ofMillis(5))
                    .withDescription(
                            "The batch is flushed when no image has arrived for this long (a pause in the input); an image that arrives after the classify subtask has been idle this long, with no batch waiting, is classified at once instead of waiting (no backlog stands behind it). See inference.max-batch-wait for the bound under backlog.");

    public static final ConfigOption<Duration> INFERENCE_MAX_BATCH_WAIT =
            ConfigOptions.key("inference.max-batch-wait")
                    .durationType()
                    .defaultValue(Duration.ofMillis(100))
                    .withDescription(
                            "While images keep arriving (a backlog), a batch grows until inference.max-batch-size or until its oldest image has waited this long; it is flushed earlier when no image arrives for inference.max-batch-delay. At least inference.max-batch-delay.");

    public static final ConfigOption<Integer> DECODE_PARALLELISM =
            ConfigOptions.key("job.parallelism.decode")
                    .intType()
                    .defaultValue(-1)
                    .withDescription(
                            "Parallelism of the Kafka source and the prepare stage chained to it (limits, DICOM de-identification, SHA-256); -1 uses job.parallelism. Decoding runs after the shuffle, in the classify subtasks (job.parallelism.classify).");

    public static final ConfigOption<Integer> CLASSIFY_PARALLELISM =
            ConfigOptions.key("job.parallelism.classify")
                    .intType()
                    .defaultValue(-1)
                    .withDescription(
                            "Parallelism of the classify stage and its Cassandra sink; -1 uses job.parallelism.");

    public static final ConfigOption<Long> MAX_PIXELS =
            ConfigOptions.key("limits.max-pixels")
                    .longType()
                    .defaultValue(64L * 1024 * 1024)
                    .withDescription(
                            "Images whose header declares more pixels (width x height) are dead-lettered as TOO_LARGE before decoding (decompression bombs).");

    public static final ConfigOption<Integer> MAX_BANDS =
            ConfigOptions.key("limits.max-bands")
                    .intType()
                    .defaultValue(32)
                    .withDescription(
                            "Images whose header declares more bands or channels are dead-lettered as TOO_LARGE before decoding.");

    public static final ConfigOption<Integer> MAX_FRAMES =
            ConfigOptions.key("limits.max-frames")
                    .intType()
                    .defaultValue(1024)
                    .withDescription(
                            "DICOM files whose header declares more frames are dead-lettered as TOO_LARGE before their pixels are read (width x height x frames must also stay within limits.max-pixels).");

    public static final ConfigOption<Integer> MAX_PARTS =
            ConfigOptions.key("limits.max-parts")
                    .intType()
                    .defaultValue(64)
                    .withDescription(
                            "Most tiles (remote-sensing scenes larger than the model input) or frames (medical models with frame: all) one image is classified as; more is dead-lettered as TOO_LARGE. Every part travels as a model input from decode to classify, so this bounds the record size between them.");

    public static final ConfigOption<Duration> DECODE_TIME_BUDGET =
            ConfigOptions.key("limits.decode-time-budget")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "CPU time one image may take to decode (CPU, not wall-clock, so a replay under load reaches the same verdict); the image reader is aborted and the record dead-lettered as TOO_SLOW when it runs out.");

    public static final ConfigOption<MemorySize> MAX_DECODE_MEMORY =
            ConfigOptions.key("limits.max-decode-memory")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(64))
                    .withDescription(
                            "Memory one image's decode may use, computed from its header before anything is allocated (width x height x the bytes per pixel of every working copy the decoder makes; for a progressive JPEG also the coefficients libjpeg buffers off the heap; for a lossless WebP the prefix-code tables its bitstream asks for). Over it, an image the model resamples anyway is read subsampled; otherwise it is dead-lettered as TOO_LARGE. The default fits two slots of the smallest TaskManager the project starts (cluster up, 1400m: 518 MiB heap); see README, Decoder limits.");

    public static final ConfigOption<Boolean> DECODE_TENSORFLOW_JPEG =
            ConfigOptions.key("decode.tensorflow-jpeg")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Decode YCbCr and grayscale JPEGs without an ICC profile or Adobe marker with TensorFlow's DecodeJpeg op, scaled down in the DCT domain (1/2, 1/4, 1/8) as far as the shorter side stays at least the model input's larger side: 2.2x (640x480) to 5.6x (2048x1536) faster than ImageIO here, model tensors within 1/255 on average of a full decode. false: every JPEG at full size through TwelveMonkeys. CMYK/YCCK and ICC-tagged JPEGs always go through TwelveMonkeys, which converts them to sRGB.");

    public static final ConfigOption<Boolean> MEDICAL_DEIDENTIFY =
            ConfigOptions.key("medical.deidentify")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "De-identify DICOM files by an allow-list (only what the decoders and stored extras need is kept; see DicomDeidentifier) before they are decoded, hashed, stored as blobs or dead-lettered. A record is medical when its bytes are DICOM (a DICM file meta prefix in its first KiB, or a bare data set), whatever its headers say, when it comes from one of medical.topics, or when a domain header (its name in any case) names medical in any spelling. Medical source ids become keyed pseudonyms, headers other than domain and source-id are dropped, and the content type of a de-identified file is application/dicom; a medical record refused before its bytes are de-identified is dead-lettered without them. false stores them as received.");

    public static final ConfigOption<List<String>> MEDICAL_TOPICS =
            ConfigOptions.key("medical.topics")
                    .stringType()
                    .asList()
                    .defaultValues(topicOf(Domain.MEDICAL))
                    .withDescription(
                            "Topics whose every record is protected as medical while medical.deidentify is on, whatever its headers and bytes say (fail closed): a DICOM file the job does not recognise (gzipped, wrapped, without a domain header) is still de-identified, or dead-lettered without its bytes and free headers. ';'-separated; empty: only bytes and domain headers decide.");

    public static final ConfigOption<Boolean> MEDICAL_ACCEPT_BURNED_IN_ANNOTATION =
            ConfigOptions.key("medical.accept-burned-in-annotation")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Keep DICOM files that declare Burned In Annotation other than NO (YES, yes, anything else: identifying text in the pixels, which de-identification cannot remove). By default they are dead-lettered as BURNED_IN_ANNOTATION without their bytes.");

    public static final ConfigOption<String> MEDICAL_UID_SECRET_FILE =
            ConfigOptions.key("medical.uid-secret-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "File holding the key (at least 16 bytes) of the keyed hash that replaces DICOM UIDs and medical source ids; else the environment variable IMAGESTREAM_MEDICAL_UID_SECRET. Required while medical.deidentify is on: the job refuses to start without it. Keep it stable (replays must give the same bytes), readable by the job only, and out of arguments and logs.");

    public static final ConfigOption<Integer> MAX_IMAGE_BYTES =
            ConfigOptions.key("limits.max-image-bytes")
                    .intType()
                    .defaultValue(ImagePublisher.DEFAULT_MAX_IMAGE_BYTES)
                    .withDescription(
                            "Larger records are dead-lettered as TOO_LARGE. Keep broker message.max.bytes, topic max.message.bytes, producer max.request.size and consumer max.partition.fetch.bytes above it.");

    public static final ConfigOption<List<String>> REFERENCE_PREFIXES =
            ConfigOptions.key("ingest.reference-prefixes")
                    .stringType()
                    .asList()
                    .defaultValues()
                    .withDescription(
                            "Images by reference (claim check): a record with an empty value and a content-location header is read from that URI through Flink's file systems when the URI lies under one of these directory URIs (each absolute and ending with '/', e.g. s3://scenes/incoming/;file:///data/images/). Empty (default): references are dead-lettered as REFERENCE_REFUSED. s3:// and hdfs:// need Flink's file system plugin on the cluster; file:// needs the same path on every TaskManager. Referenced objects must not change: a replay reads them again.");

    public static final ConfigOption<MemorySize> MAX_REFERENCE_BYTES =
            ConfigOptions.key("ingest.max-reference-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(1024))
                    .withDescription(
                            "Largest object an image by reference may have (at most 2 GiB), checked before it is read (larger: TOO_LARGE). Objects up to limits.max-image-bytes are read into the heap like a record's value. Larger ones are accepted only as remote-sensing TIFF scenes and only with storage.offload-uri set: hashed as a stream, copied to io.tmp.dirs and decoded from the memory-mapped copy (subsampled or from an overview, within limits.max-decode-memory), their blob copied to the offload store, so they never enter the heap; anything else over limits.max-image-bytes is TOO_LARGE.");

    public static final ConfigOption<String> OFFLOAD_URI =
            ConfigOptions.key("storage.offload-uri")
                    .stringType()
                    .noDefaultValue()
                    .withDescription(
                            "Directory URI of an object store (s3://bucket/blobs/, hdfs://..., file:///...) for blobs of storage.offload-min-bytes or more: written there once under their SHA-256 (<uri>/<first two hex digits>/<sha256>) through Flink's file systems, with the location in Cassandra's blobs row instead of chunks. Unset (default): every blob is chunked into Cassandra. Offloaded objects do not expire with the Cassandra TTLs: give the prefix a lifecycle rule.");

    public static final ConfigOption<MemorySize> OFFLOAD_MIN_BYTES =
            ConfigOptions.key("storage.offload-min-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.ofMebiBytes(8))
                    .withDescription(
                            "Blobs of this size or more go to storage.offload-uri when it is set.");

    public static final ConfigOption<Integer> MAX_PARALLELISM =
            ConfigOptions.key("job.max-parallelism")
                    .intType()
                    .defaultValue(128)
                    .withDescription(
                            "Max parallelism (number of key groups); fixed for the life of the job's state.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("job.checkpoint-interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "Checkpoint interval; Kafka offsets and Cassandra flushes follow it.");

    public static final ConfigOption<Boolean> OBJECT_REUSE =
            ConfigOptions.key("job.object-reuse")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "Hand records between chained operators without copying them (Flink's pipeline.object-reuse; by default Flink copies every record, image bytes included, at every chained operator). Safe here: no operator of the job keeps or changes a record after emitting it, and records that cross the network are always new objects. false: copy, as Flink does by default.");

    public static final ConfigOption<Duration> BUFFER_TIMEOUT =
            ConfigOptions.key("job.buffer-timeout")
                    .durationType()
                    .defaultValue(Duration.ZERO)
                    .withDescription(
                            "Longest a partly filled network buffer waits before it is sent to the next task (Flink's execution.buffer-timeout.interval). 0 (default): a record's last buffer is sent as soon as the record is written, so no image waits at the shuffle and no flusher thread runs; the job's records are images of tens to hundreds of KB that fill whole buffers anyway, so sending each one's last buffer at once costs little (docs/benchmarks.md, session 28: against 10 ms, the MobileNetV2 mix's p50 7-12 ms lower at 8.2 img/s and 9-21 ms lower at 41 img/s, p99 within the same spread at 61.2 img/s). Near saturation a longer timeout (100 ms) gave the lower p99 in sessions 12 and 25, where 0 was not compared. Flink's own default of 100 ms adds up to 100 ms to every image's latency across the shuffle. Applied unless flink-conf sets execution.buffer-timeout.interval or execution.buffer-timeout.enabled and this option is not given; when given, it also turns the timeout on.");

    public static final ConfigOption<Integer> PARALLELISM =
            ConfigOptions.key("job.parallelism")
                    .intType()
                    .defaultValue(-1)
                    .withDescription("Job parallelism; -1 uses the cluster default.");

    /** Every option above, in declaration order (collected by reflection, so never stale). */
    public static final List<ConfigOption<?>> ALL = collectOptions();

    private static List<ConfigOption<?>> collectOptions() {
        List<ConfigOption<?>> options = new java.util.ArrayList<>();
        for (java.lang.reflect.Field field : JobOptions.class.getDeclaredFields()) {
            if (field.getType() == ConfigOption.class
                    && java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                try {
                    options.add((ConfigOption<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return List.copyOf(options);
    }

    private JobOptions() {}
}
