package org.imagestream.job;

import java.util.HashMap;
import java.util.Map;
import org.imagestream.inference.ModelSpec;
import org.imagestream.localstack.LocalStack;
import org.imagestream.model.Domain;
import org.imagestream.testing.TestSecrets;
import org.imagestream.testing.TestStreams;

/** Job options that point the job at the test run's local stack and seed models. */
public final class LocalJobOptions {
    private LocalJobOptions() {}

    /** Options for one test's own streams on the shared local stack, with the seed models. */
    public static Map<String, String> of(LocalStack stack, TestStreams streams) throws Exception {
        return of(
                stack,
                streams.topic(),
                streams.deadLetterTopic(),
                streams.keyspace(),
                org.imagestream.training.ModelStoreAccess.seedModels());
    }

    public static Map<String, String> of(
            LocalStack stack,
            String topic,
            String deadLetterTopic,
            String keyspace,
            Map<Domain, ModelSpec> models) {
        return of(
                stack.bootstrapServers(),
                stack.cassandraContactPoint(),
                topic,
                deadLetterTopic,
                keyspace,
                models);
    }

    /** As above, for servers other than the shared local stack's (e.g. secured ones). */
    public static Map<String, String> of(
            String bootstrapServers,
            String cassandraContactPoint,
            String topic,
            String deadLetterTopic,
            String keyspace,
            Map<Domain, ModelSpec> models) {
        Map<String, String> options = new HashMap<>();
        options.put("kafka.bootstrap-servers", bootstrapServers);
        options.put("kafka.topics", topic);
        options.put("kafka.group-id", "it-" + topic);
        options.put("kafka.starting-offsets", "earliest");
        options.put("kafka.dead-letter-topic", deadLetterTopic);
        options.put("cassandra.contact-points", cassandraContactPoint);
        options.put("cassandra.keyspace", keyspace);
        options.put("model.social.dir", models.get(Domain.SOCIAL).directory());
        options.put("model.remote-sensing.dir", models.get(Domain.REMOTE_SENSING).directory());
        options.put("model.medical.dir", models.get(Domain.MEDICAL).directory());
        options.put("routing.shards", "8");
        options.put("job.checkpoint-interval", "2s");
        options.put("medical.uid-secret-file", TestSecrets.medicalUidSecretFile());
        return options;
    }
}
