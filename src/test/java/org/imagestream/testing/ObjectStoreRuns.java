package org.imagestream.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.S3ProxyServer;
import org.imagestream.model.Domain;

/** What the object-store tests share: the Flink configuration, references, the produce run. */
public final class ObjectStoreRuns {
    private ObjectStoreRuns() {}

    /** S3Proxy started under {@code directory} from the build-resolved class path. */
    public static S3ProxyServer startS3(Path directory, String bucket) throws Exception {
        Path lib = LocalStack.libRoot().resolve("s3proxy/lib");
        return S3ProxyServer.start(lib, directory, bucket);
    }

    /**
     * Writes the server's settings as {@code <directory>/config.yaml} (what a deployment carries
     * for its object store) and initialises this JVM's file systems from it, as a TaskManager does
     * at start (TaskManagerRunner); the MiniCluster in the test JVM does not.
     */
    public static Path flinkConf(S3ProxyServer s3, Path directory) throws Exception {
        Files.createDirectories(directory);
        Files.writeString(
                directory.resolve("config.yaml"),
                s3.flinkOptions().entrySet().stream()
                        .map(e -> e.getKey() + ": " + e.getValue() + "\n")
                        .collect(Collectors.joining()));
        FileSystem.initialize(GlobalConfiguration.loadConfiguration(directory.toString()), null);
        return directory;
    }

    /** {@code produce --by-reference} as a user runs it, with extra arguments (paths, options). */
    public static CliRun produceByReference(
            String bootstrapServers, String topic, String uri, Path flinkConf, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "produce",
                                "--bootstrap-servers",
                                bootstrapServers,
                                "--topic",
                                topic,
                                "--by-reference",
                                uri,
                                "--flink-conf-dir",
                                flinkConf.toString(),
                                "--no-progress"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** Publishes a social image by reference (empty value); returns its image id. */
    public static String publishReference(ImagePublisher publisher, String topic, String location)
            throws Exception {
        RecordMetadata metadata =
                publisher
                        .publish(
                                topic,
                                Domain.SOCIAL.id(),
                                "ref.jpg",
                                "image/jpeg",
                                new byte[0],
                                Map.of(ImageHeaders.CONTENT_LOCATION, location))
                        .get();
        return RecordIds.of(publisher.clientProperties(), metadata);
    }
}
