package org.imagestream.job;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.imagestream.config.CassandraConfig;
import org.imagestream.config.JobConfig;
import org.imagestream.config.JobOptions;
import org.imagestream.config.MedicalSecret;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.ImageDecoder;
import org.imagestream.decode.ModelInput;
import org.imagestream.decode.PrepareFunction;
import org.imagestream.inference.BatchingClassifyOperator;
import org.imagestream.inference.ModelDirectory;
import org.imagestream.inference.ModelSpec;
import org.imagestream.ingest.DeadLetterSerializationSchema;
import org.imagestream.ingest.ImageIds;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.ingest.ImageRecordDeserializationSchema;
import org.imagestream.ingest.LossAwareKafkaSink;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;
import org.imagestream.routing.AssignShardFunction;
import org.imagestream.routing.ConsistentHashRing;
import org.imagestream.routing.ShardKeySelector;
import org.imagestream.routing.ShardKeys;
import org.imagestream.storage.BlobOffload;
import org.imagestream.storage.CassandraResultWriterOperator;
import org.imagestream.storage.CassandraSchema;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.StoredImageDeadLetterFilter;

/**
 * The image classification job: Kafka images → decode → consistent-hash shard → TensorFlow classify
 * → Cassandra results and blobs; anything that cannot be classified → dead-letter topic.
 *
 * <p>{@link #main} only parses options and calls {@link #build}; tests and the demo call {@code
 * build} with their own configuration.
 */
public final class ImageClassificationJob {
    private ImageClassificationJob() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println("imagestream job options (--key value):");
            System.out.print(JobConfig.describeOptions());
            return;
        }
        JobConfig config = JobConfig.fromArgs(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, config);
        env.execute("imagestream");
    }

    /** Wires the whole topology into {@code env} (creating the Cassandra schema if configured). */
    public static void build(StreamExecutionEnvironment env, JobConfig config) throws IOException {
        Map<Domain, ModelSpec> specs = loadModelSpecs(config);
        CassandraSettings cassandra = cassandraSettings(config);
        if (config.get(JobOptions.CASSANDRA_CREATE_SCHEMA)) {
            try (CqlSession session = cassandra.openSession()) {
                CassandraSchema.create(session, cassandra);
            }
        }
        configureEnvironment(env, config);
        ClassifyRouting routing = classifyRouting(env, config);
        int classifyParallelism = routing.parallelism();
        DeadLetterTransactions.check(
                config.get(JobOptions.DEAD_LETTER_TRANSACTION_TIMEOUT),
                Duration.ofMillis(env.getCheckpointConfig().getCheckpointInterval()),
                Duration.ofMillis(env.getCheckpointConfig().getMinPauseBetweenCheckpoints()),
                Duration.ofMillis(env.getCheckpointConfig().getCheckpointTimeout()),
                env.getCheckpointConfig().getTolerableCheckpointFailureNumber(),
                DeadLetterTransactions.brokerMaximum(adminProperties(config)));

        Map<Domain, ModelInput> inputs = new EnumMap<>(Domain.class);
        specs.forEach((domain, spec) -> inputs.put(domain, spec.modelInput()));
        ConsistentHashRing ring = routing.ring();
        Map<String, String> shardKeys = routing.shardKeys();
        AssignShardFunction.RoutingKey routingKey =
                config.routeBySourceId()
                        ? AssignShardFunction.RoutingKey.SOURCE_ID
                        : AssignShardFunction.RoutingKey.CONTENT_HASH;

        DataStream<ImageRecord> records =
                env.fromSource(
                                kafkaSource(config),
                                WatermarkStrategy.noWatermarks(),
                                "Kafka images")
                        .uid("kafka-images");
        DecodeLimits limits =
                new DecodeLimits(
                        config.get(JobOptions.MAX_PIXELS),
                        config.get(JobOptions.MAX_BANDS),
                        config.get(JobOptions.MAX_FRAMES),
                        config.get(JobOptions.MAX_PARTS),
                        config.get(JobOptions.DECODE_TIME_BUDGET).toMillis(),
                        config.get(JobOptions.MAX_DECODE_MEMORY).getBytes());
        PrepareFunction prepare =
                new PrepareFunction(inputs, config.get(JobOptions.MAX_IMAGE_BYTES), limits)
                        .readReferences(
                                config.get(JobOptions.REFERENCE_PREFIXES),
                                config.get(JobOptions.MAX_REFERENCE_BYTES).getBytes(),
                                // Streamed scenes' blobs are copied to the offload store.
                                config.getOptional(JobOptions.OFFLOAD_URI).isPresent());
        if (config.get(JobOptions.MEDICAL_DEIDENTIFY)) {
            prepare.deidentifyDicom(
                    MedicalSecret.load(config, System.getenv()),
                    config.get(JobOptions.MEDICAL_ACCEPT_BURNED_IN_ANNOTATION));
            prepare.medicalTopics(config.get(JobOptions.MEDICAL_TOPICS));
        }
        // Chained to the source: only original bytes and their hash cross the shuffle; the
        // keyed classify operator decodes after its dedup lookup.
        SingleOutputStreamOperator<DecodedImage> prepared =
                records.process(prepare).name("Prepare images").uid("prepare-images");
        if (config.get(JobOptions.DECODE_PARALLELISM) > 0) {
            prepared.setParallelism(config.get(JobOptions.DECODE_PARALLELISM));
        }
        SingleOutputStreamOperator<Classification> classified =
                prepared.map(new AssignShardFunction(ring, shardKeys, routingKey))
                        .name("Assign shard")
                        .uid("assign-shard")
                        .keyBy(new ShardKeySelector())
                        .transform(
                                "Classify images",
                                TypeInformation.of(Classification.class),
                                new BatchingClassifyOperator(
                                                specs,
                                                config.dedupTtl(),
                                                config.get(JobOptions.INFERENCE_MAX_BATCH_SIZE),
                                                config.get(JobOptions.INFERENCE_MAX_BATCH_DELAY),
                                                modelRoots(config),
                                                config.get(JobOptions.MODEL_POLL_INTERVAL))
                                        .withTensorflowThreads(
                                                config.get(JobOptions.INFERENCE_TENSORFLOW_THREADS))
                                        .withMaxBatchWait(
                                                config.get(JobOptions.INFERENCE_MAX_BATCH_WAIT))
                                        .withMaxBatchBytes(
                                                config.get(JobOptions.INFERENCE_MAX_BATCH_BYTES)
                                                        .getBytes())
                                        .withDecoder(
                                                new ImageDecoder(
                                                        inputs,
                                                        limits,
                                                        config.get(
                                                                JobOptions
                                                                        .DECODE_TENSORFLOW_JPEG))))
                        .name("Classify images")
                        .uid("classify-images")
                        .setParallelism(classifyParallelism);
        // Results and blobs to Cassandra; images Cassandra refuses come out as dead letters.
        DataStream<DeadLetter> refused =
                classified
                        .transform(
                                "Cassandra results",
                                TypeInformation.of(DeadLetter.class),
                                new CassandraResultWriterOperator(cassandra)
                                        .offloadBlobs(blobOffload(config)))
                        .uid("cassandra-results")
                        .setParallelism(classifyParallelism);

        DataStream<DeadLetter> deadLetters =
                prepared.getSideOutput(PrepareFunction.DEAD_LETTERS)
                        .union(
                                classified.getSideOutput(BatchingClassifyOperator.DEAD_LETTERS),
                                refused);
        deadLetters
                .process(new StoredImageDeadLetterFilter(cassandra))
                .name("Drop dead letters of stored images")
                .uid("drop-dead-letters-of-stored-images")
                .sinkTo(
                        new LossAwareKafkaSink<>(
                                deadLetterSink(config),
                                adminProperties(config),
                                config.get(JobOptions.DEAD_LETTER_FAIL_ON_LOST_COMMIT)))
                .name("Dead-letter topic")
                .uid("dead-letter-topic");
    }

    /**
     * How records reach the classify subtasks: the consistent-hash ring, each shard's Flink key
     * (see {@link ShardKeys}), and the classify parallelism the key groups are spread over.
     */
    public record ClassifyRouting(
            ConsistentHashRing ring, Map<String, String> shardKeys, int parallelism) {}

    /**
     * The routing the job builds on {@code env} once {@link #configureEnvironment} has run (as
     * {@link #build} does), public so a benchmark can tell which subtask served a stored result.
     */
    public static ClassifyRouting classifyRouting(
            StreamExecutionEnvironment env, JobConfig config) {
        int parallelism =
                config.get(JobOptions.CLASSIFY_PARALLELISM) > 0
                        ? config.get(JobOptions.CLASSIFY_PARALLELISM)
                        : Math.max(1, env.getParallelism());
        ConsistentHashRing ring =
                ConsistentHashRing.ofShards(config.shards(), config.virtualNodes());
        // The key groups actually in effect (flink-conf's pipeline.max-parallelism or the option).
        return new ClassifyRouting(
                ring, ShardKeys.assign(ring.nodes(), env.getMaxParallelism()), parallelism);
    }

    /**
     * The execution settings the job chooses: parallelism, key groups, buffer timeout, object reuse
     * and checkpointing. flink-conf wins unless the job option is set: the cluster's
     * pipeline.max-parallelism, execution.buffer-timeout.* and execution.checkpointing.interval
     * apply, and the job's defaults only fill gaps.
     */
    static void configureEnvironment(StreamExecutionEnvironment env, JobConfig config) {
        if (config.parallelism() > 0) {
            env.setParallelism(config.parallelism());
        }
        if (config.getOptional(JobOptions.MAX_PARALLELISM).isPresent()
                || env.getMaxParallelism() <= 0) {
            env.setMaxParallelism(config.maxParallelism());
        }
        if (config.getOptional(JobOptions.BUFFER_TIMEOUT).isPresent()
                || (env.getConfiguration().getOptional(ExecutionOptions.BUFFER_TIMEOUT).isEmpty()
                        && env.getConfiguration()
                                .getOptional(ExecutionOptions.BUFFER_TIMEOUT_ENABLED)
                                .isEmpty())) {
            // Enabled too: setBufferTimeout alone leaves a flink-conf "enabled: false" in force.
            Configuration timeout = new Configuration();
            timeout.set(ExecutionOptions.BUFFER_TIMEOUT_ENABLED, true);
            timeout.set(ExecutionOptions.BUFFER_TIMEOUT, config.get(JobOptions.BUFFER_TIMEOUT));
            env.configure(timeout);
        }
        if (config.get(JobOptions.OBJECT_REUSE)) {
            env.getConfig().enableObjectReuse();
        } else {
            env.getConfig().disableObjectReuse();
        }
        if (config.getOptional(JobOptions.CHECKPOINT_INTERVAL).isPresent()
                || !env.getCheckpointConfig().isCheckpointingEnabled()) {
            env.enableCheckpointing(config.checkpointInterval().toMillis());
        }
    }

    static Map<Domain, ModelSpec> loadModelSpecs(JobConfig config) throws IOException {
        Map<Domain, ModelSpec> specs = new EnumMap<>(Domain.class);
        for (Map.Entry<Domain, String> entry : config.modelDirectories().entrySet()) {
            ModelSpec spec = ModelSpec.load(ModelDirectory.current(Path.of(entry.getValue())));
            if (spec.domain() != entry.getKey()) {
                throw new IllegalArgumentException(
                        "Model in "
                                + entry.getValue()
                                + " is for domain "
                                + spec.domain().id()
                                + " but is configured for "
                                + entry.getKey().id());
            }
            specs.put(entry.getKey(), spec);
        }
        return specs;
    }

    /** The configured model directories that are version roots, watched for roll-out. */
    static Map<Domain, String> modelRoots(JobConfig config) {
        Map<Domain, String> roots = new EnumMap<>(Domain.class);
        config.modelDirectories()
                .forEach(
                        (domain, dir) -> {
                            if (ModelDirectory.isVersionRoot(Path.of(dir))) {
                                roots.put(domain, Path.of(dir).toAbsolutePath().toString());
                            }
                        });
        return roots;
    }

    /** Where large blobs go (storage.offload-uri), or null to chunk every blob into Cassandra. */
    static BlobOffload blobOffload(JobConfig config) {
        return config.getOptional(JobOptions.OFFLOAD_URI)
                .map(
                        uri ->
                                new BlobOffload(
                                        uri, config.get(JobOptions.OFFLOAD_MIN_BYTES).getBytes()))
                .orElse(null);
    }

    /** Cassandra settings from the job options, for the domains the job has models for. */
    public static CassandraSettings cassandraSettings(JobConfig config) {
        return CassandraConfig.settings(config.options(), config.modelDirectories().keySet());
    }

    static KafkaSource<ImageRecord> kafkaSource(JobConfig config) {
        OffsetsInitializer start =
                switch (config.startingOffsets()) {
                    case "earliest" -> OffsetsInitializer.earliest();
                    case "latest" -> OffsetsInitializer.latest();
                    default -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                };
        KafkaSourceBuilder<ImageRecord> builder =
                KafkaSource.<ImageRecord>builder()
                        .setBootstrapServers(config.bootstrapServers())
                        .setTopics(config.topics())
                        .setGroupId(config.groupId())
                        .setStartingOffsets(start)
                        .setDeserializer(
                                new ImageRecordDeserializationSchema(
                                        ImageIds.fromBroker(adminProperties(config))))
                        // Large images: let one fetch carry a whole record of the maximum size.
                        .setProperty(
                                "max.partition.fetch.bytes",
                                Integer.toString(ImagePublisher.MAX_RECORD_BYTES))
                        .setProperties(config.kafkaProperties())
                        // Records of open or aborted transactions are not input (a dead-letter
                        // replay cut short aborts its records): read only committed ones
                        // (JobConfig refuses any other level).
                        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        if (config.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /** Kafka client properties for admin requests: the job's, with its bootstrap servers. */
    static Properties adminProperties(JobConfig config) {
        Properties properties = new Properties();
        properties.putAll(config.kafkaProperties());
        properties.setProperty("bootstrap.servers", config.bootstrapServers());
        return properties;
    }

    static KafkaSink<DeadLetter> deadLetterSink(JobConfig config) {
        // Large enough for a letter carrying an image of the maximum size, unless the user's
        // kafka.properties.max.request.size says otherwise: the user's value wins, and the
        // serializer leaves out what would not fit it.
        Properties producer = new Properties();
        producer.setProperty(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                Integer.toString(ImagePublisher.MAX_RECORD_BYTES));
        producer.putAll(config.kafkaProperties());
        int maxRequestSize =
                Integer.parseInt(
                        producer.getProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG).trim());
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(
                        new DeadLetterSerializationSchema(config.deadLetterTopic(), maxRequestSize))
                // Transactions committed on checkpoints: a dead letter replayed after a failure is
                // not written twice (consumers read with isolation.level=read_committed).
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(DeadLetterTransactions.prefix(config))
                // Checked at start against the checkpoint settings and the broker's maximum.
                .setProperty(
                        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                        Long.toString(
                                config.get(JobOptions.DEAD_LETTER_TRANSACTION_TIMEOUT).toMillis()))
                .build();
    }
}
