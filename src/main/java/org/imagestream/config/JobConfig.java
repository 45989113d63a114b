package org.imagestream.config;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.imagestream.model.Domain;

/**
 * The job's configuration, parsed once from {@link JobOptions} and immutable afterwards. Unknown
 * keys are rejected (a typo must not silently fall back to a default).
 */
public final class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Configuration configuration;
    private final Properties kafkaProperties;

    private JobConfig(Configuration configuration, Properties kafkaProperties) {
        this.configuration = configuration;
        this.kafkaProperties = kafkaProperties;
    }

    /**
     * Parses {@code key -> value} pairs; keys are {@link JobOptions} or {@code kafka.properties.*}.
     */
    public static JobConfig fromMap(Map<String, String> values) {
        Map<String, String> options = new HashMap<>();
        Properties kafka = new Properties();
        List<String> known = JobOptions.ALL.stream().map(ConfigOption::key).toList();
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String key = entry.getKey();
            if (key.startsWith(JobOptions.KAFKA_PROPERTIES_PREFIX)) {
                kafka.setProperty(
                        key.substring(JobOptions.KAFKA_PROPERTIES_PREFIX.length()),
                        entry.getValue());
            } else if (known.contains(key)) {
                options.put(key, entry.getValue());
            } else {
                throw new IllegalArgumentException(
                        "Unknown option '"
                                + key
                                + "'. Run with --help to list the options;"
                                + " Kafka client properties take the prefix "
                                + JobOptions.KAFKA_PROPERTIES_PREFIX);
            }
        }
        Configuration configuration = Configuration.fromMap(options);
        JobConfig config = new JobConfig(configuration, kafka);
        config.validate();
        return config;
    }

    /** Parses {@code --key value} command-line pairs. */
    public static JobConfig fromArgs(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException(
                        "Expected '--key value' pairs, got '"
                                + arg
                                + "'. Run with --help to list the options.");
            }
            values.put(arg.substring(2), args[++i]);
        }
        return fromMap(values);
    }

    /** Cassandra's largest TTL, 20 years ({@code Attributes.MAX_TTL}); larger ones are refused. */
    static final long CASSANDRA_MAX_TTL_SECONDS = 20L * 365 * 24 * 60 * 60;

    /**
     * The latest expiration date Cassandra 5.0 accepts under storage_compatibility_mode CASSANDRA_4
     * (its default): local deletion times are 32-bit seconds there ({@code Cell.MAX_DELETION_TIME -
     * 1}).
     */
    static final Instant CASSANDRA_4_MAX_EXPIRATION = Instant.parse("2038-01-19T03:14:06Z");

    /**
     * A TTL Cassandra would refuse on every write (so on every replay, with no per-record way out)
     * is refused here, when the job starts, with the fix in the message.
     */
    private void validateTtls(Instant now) {
        for (ConfigOption<Duration> option :
                List.of(
                        JobOptions.CASSANDRA_TTL_SOCIAL,
                        JobOptions.CASSANDRA_TTL_REMOTE_SENSING,
                        JobOptions.CASSANDRA_TTL_MEDICAL)) {
            Duration rowTtl = get(option);
            if (rowTtl.isNegative()) {
                throw new IllegalArgumentException(option.key() + " must not be negative");
            }
            // Blobs outlive their rows by the dedup window (CassandraSettings.blobTtlSeconds), so
            // the longest TTL written is the row TTL plus routing.dedup-ttl.
            Duration ttl = rowTtl.isZero() ? rowTtl : rowTtl.plus(dedupTtl());
            if (ttl.getSeconds() > CASSANDRA_MAX_TTL_SECONDS) {
                throw new IllegalArgumentException(
                        option.key()
                                + " plus routing.dedup-ttl (blobs live that long) is "
                                + ttl.toDays()
                                + " days; Cassandra refuses TTLs over 20 years ("
                                + CASSANDRA_MAX_TTL_SECONDS
                                + " s). Use 0 to keep rows until they are erased.");
            }
            if (!ttl.isZero()
                    && !get(JobOptions.CASSANDRA_EXPIRATION_PAST_2038)
                    && now.plus(ttl).isAfter(CASSANDRA_4_MAX_EXPIRATION)) {
                throw new IllegalArgumentException(
                        option.key()
                                + " plus routing.dedup-ttl (blobs live that long) of "
                                + ttl.toDays()
                                + " days expires after "
                                + CASSANDRA_4_MAX_EXPIRATION
                                + ", which Cassandra refuses under its default"
                                + " storage_compatibility_mode CASSANDRA_4. Use a shorter TTL, 0 to"
                                + " keep rows, or, once every node runs storage_compatibility_mode:"
                                + " NONE, set "
                                + JobOptions.CASSANDRA_EXPIRATION_PAST_2038.key()
                                + "=true.");
            }
        }
    }

    private void validate() {
        validateTtls(Instant.now());
        String isolation = kafkaProperties.getProperty("isolation.level");
        if (isolation != null && !isolation.equals("read_committed")) {
            // Records of aborted transactions (a dead-letter replay cut short) would be
            // classified: the job reads committed records only.
            throw new IllegalArgumentException(
                    JobOptions.KAFKA_PROPERTIES_PREFIX
                            + "isolation.level must be read_committed (the job's own), not "
                            + isolation);
        }
        if (shards() < 1 || virtualNodes() < 1) {
            throw new IllegalArgumentException(
                    "routing.shards and routing.virtual-nodes must be >= 1");
        }
        String offsets = startingOffsets();
        if (!List.of("committed", "earliest", "latest").contains(offsets)) {
            throw new IllegalArgumentException(
                    "kafka.starting-offsets must be committed, earliest or latest, got " + offsets);
        }
        if (!List.of("content-hash", "source-id").contains(get(JobOptions.ROUTING_KEY))) {
            throw new IllegalArgumentException(
                    "routing.key must be content-hash or source-id, got "
                            + get(JobOptions.ROUTING_KEY));
        }
        if (parallelism() > maxParallelism()) {
            throw new IllegalArgumentException(
                    "job.parallelism ("
                            + parallelism()
                            + ") must not exceed job.max-parallelism ("
                            + maxParallelism()
                            + ")");
        }
        if (modelDirectories().isEmpty()) {
            throw new IllegalArgumentException(
                    "No model configured: set at least one of model.social.dir, model.remote-sensing.dir,"
                            + " model.medical.dir to a directory made by 'imagestream train'");
        }
    }

    /** The parsed options, read-only. */
    public org.apache.flink.configuration.ReadableConfig options() {
        return configuration;
    }

    public <T> T get(ConfigOption<T> option) {
        return configuration.get(option);
    }

    /** The value when set (for options without a default). */
    public <T> java.util.Optional<T> getOptional(ConfigOption<T> option) {
        return configuration.getOptional(option);
    }

    public String bootstrapServers() {
        return get(JobOptions.KAFKA_BOOTSTRAP_SERVERS);
    }

    public List<String> topics() {
        return get(JobOptions.KAFKA_TOPICS);
    }

    public String groupId() {
        return get(JobOptions.KAFKA_GROUP_ID);
    }

    public String startingOffsets() {
        return get(JobOptions.KAFKA_STARTING_OFFSETS);
    }

    public boolean bounded() {
        return get(JobOptions.KAFKA_BOUNDED);
    }

    public String deadLetterTopic() {
        return get(JobOptions.DEAD_LETTER_TOPIC);
    }

    public int shards() {
        return get(JobOptions.ROUTING_SHARDS);
    }

    public int virtualNodes() {
        return get(JobOptions.ROUTING_VIRTUAL_NODES);
    }

    public Duration checkpointInterval() {
        return get(JobOptions.CHECKPOINT_INTERVAL);
    }

    public int maxParallelism() {
        return get(JobOptions.MAX_PARALLELISM);
    }

    public boolean routeBySourceId() {
        return get(JobOptions.ROUTING_KEY).equals("source-id");
    }

    public Duration dedupTtl() {
        return get(JobOptions.DEDUP_TTL);
    }

    public int parallelism() {
        return get(JobOptions.PARALLELISM);
    }

    /** A copy of the pass-through Kafka client properties. */
    public Properties kafkaProperties() {
        Properties copy = new Properties();
        copy.putAll(kafkaProperties);
        return copy;
    }

    /** Model directory per configured domain; domains without a model are dead-lettered. */
    public Map<Domain, String> modelDirectories() {
        Map<Domain, String> dirs = new EnumMap<>(Domain.class);
        configuration
                .getOptional(JobOptions.MODEL_SOCIAL_DIR)
                .ifPresent(d -> dirs.put(Domain.SOCIAL, d));
        configuration
                .getOptional(JobOptions.MODEL_REMOTE_SENSING_DIR)
                .ifPresent(d -> dirs.put(Domain.REMOTE_SENSING, d));
        configuration
                .getOptional(JobOptions.MODEL_MEDICAL_DIR)
                .ifPresent(d -> dirs.put(Domain.MEDICAL, d));
        return dirs;
    }

    /** Every option with its default and description, for {@code --help}. */
    public static String describeOptions() {
        org.apache.flink.configuration.description.HtmlFormatter formatter =
                new org.apache.flink.configuration.description.HtmlFormatter();
        StringBuilder out = new StringBuilder();
        for (ConfigOption<?> option : JobOptions.ALL) {
            String description =
                    formatter
                            .format(option.description())
                            .replace("&#39;", "'")
                            .replace("&quot;", "\"")
                            .replace("&lt;", "<")
                            .replace("&gt;", ">")
                            .replace("&amp;", "&");
            out.append(
                    String.format(
                            "  --%-40s default: %s%n      %s%n",
                            option.key(),
                            option.hasDefaultValue() ? option.defaultValue() : "(none)",
                            description));
        }
        out.append("  --")
                .append(JobOptions.KAFKA_PROPERTIES_PREFIX)
                .append("<name> <value>   any Kafka client property, passed through untouched\n");
        return out.toString();
    }
}
