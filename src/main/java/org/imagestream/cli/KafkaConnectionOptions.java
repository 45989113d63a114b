package org.imagestream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Kafka connection flags shared by {@code produce} and {@code dead-letters}. */
final class KafkaConnectionOptions {
    @Option(
            names = "--bootstrap-servers",
            defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
            names = "--kafka-properties",
            description =
                    "Kafka client properties file (TLS, SASL, ...); overrides --bootstrap-servers when it sets it.")
    Path kafkaProperties;

    /** Client properties: the bootstrap servers, then everything in the properties file. */
    Properties properties() throws IOException {
        Properties properties = new Properties();
        properties.put("bootstrap.servers", bootstrapServers);
        if (kafkaProperties != null) {
            try (InputStream in = Files.newInputStream(kafkaProperties)) {
                properties.load(in);
            }
        }
        return properties;
    }
}
