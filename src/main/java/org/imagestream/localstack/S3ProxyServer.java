package org.imagestream.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real S3 API server on 127.0.0.1: S3Proxy (Maven Central {@code org.gaul:s3proxy}) storing
 * objects in a local directory, with one bucket and a fresh secret per start. The object store of
 * the claim-check and blob-offload tests, reached through Flink's S3 file system like any other S3
 * endpoint.
 */
public final class S3ProxyServer implements AutoCloseable {
    private final Path libDirectory;
    private final Path directory;
    private final List<String> jvmOptions;
    private final List<String> arguments;
    private volatile ServerProcess process;
    private final int port;
    private final String bucket;
    private final String accessKey;
    private final String secretKey;

    private S3ProxyServer(
            Path libDirectory,
            Path directory,
            List<String> jvmOptions,
            List<String> arguments,
            int port,
            String bucket,
            String accessKey,
            String secretKey) {
        this.libDirectory = libDirectory;
        this.directory = directory;
        this.jvmOptions = jvmOptions;
        this.arguments = arguments;
        this.port = port;
        this.bucket = bucket;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /**
     * Starts S3Proxy from {@code libDirectory} with its data under {@code directory} and {@code
     * bucket} created empty.
     */
    public static S3ProxyServer start(Path libDirectory, Path directory, String bucket)
            throws IOException {
        Files.createDirectories(directory);
        Path data = directory.resolve("data").toAbsolutePath();
        // The filesystem provider keeps each bucket as a directory of its base directory.
        Files.createDirectories(data.resolve(bucket));
        int port = Ports.free();
        String accessKey = "imagestream";
        byte[] secret = new byte[20];
        new SecureRandom().nextBytes(secret);
        String secretKey = HexFormat.of().formatHex(secret);
        Path properties = directory.resolve("s3proxy.properties");
        Files.writeString(
                properties,
                String.join(
                        "\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + accessKey,
                        "s3proxy.credential=" + secretKey,
                        "jclouds.provider=filesystem-nio2",
                        "jclouds.identity=" + accessKey,
                        "jclouds.credential=" + secretKey,
                        "jclouds.filesystem.basedir=" + data,
                        ""));
        // It holds the secret: readable by this user only.
        Files.setPosixFilePermissions(properties, PosixFilePermissions.fromString("rw-------"));
        // Its default logback configuration logs every request at DEBUG.
        Path logback = directory.resolve("logback.xml");
        Files.writeString(
                logback,
                "<configuration><appender name=\"OUT\""
                        + " class=\"ch.qos.logback.core.ConsoleAppender\"><encoder><pattern>%d{HH:mm:ss.SSS}"
                        + " %-5level %logger{36} - %msg%n</pattern></encoder></appender><root"
                        + " level=\"INFO\"><appender-ref ref=\"OUT\"/></root></configuration>\n");
        List<String> jvm =
                List.of(
                        "-Xmx128m",
                        "-XX:+UseSerialGC",
                        "-XX:+ExitOnOutOfMemoryError",
                        "-Dlogback.configurationFile=" + logback.toAbsolutePath());
        S3ProxyServer server =
                new S3ProxyServer(
                        libDirectory,
                        directory,
                        jvm,
                        List.of("--properties", properties.toAbsolutePath().toString()),
                        port,
                        bucket,
                        accessKey,
                        secretKey);
        server.launch();
        return server;
    }

    private void launch() throws IOException {
        process =
                ServerProcess.start(
                        "s3proxy",
                        libDirectory,
                        directory,
                        jvmOptions,
                        "org.gaul.s3proxy.Main",
                        arguments);
        try {
            process.awaitLogLine("Started Server", Duration.ofSeconds(60));
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Stops the server, keeping its objects and port for {@link #restart()} (outage drills). */
    public void stop() {
        process.stop(Duration.ofSeconds(10));
    }

    /** Starts the stopped server again on the same objects and port. */
    public void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("S3Proxy is still running (pid " + process.pid() + ")");
        }
        launch();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The bucket's root as Flink addresses it: {@code s3://<bucket>/}. */
    public String bucketUri() {
        return "s3://" + bucket + "/";
    }

    /**
     * The Flink configuration that points its S3 file system (flink-s3-fs-hadoop) at this server:
     * what a deployment puts into its Flink configuration for its own endpoint.
     */
    public Map<String, String> flinkOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("s3.endpoint", endpoint());
        options.put("s3.endpoint.region", "us-east-1");
        options.put("s3.path.style.access", "true");
        options.put("s3.access-key", accessKey);
        options.put("s3.secret-key", secretKey);
        // Hadoop 3.3's S3A deletes the parent "directory" markers after each upload; S3Proxy's
        // filesystem store answers that delete of a non-empty directory with an error, which S3A
        // retries for minutes. Keeping markers (S3A's default from Hadoop 3.4) avoids the call.
        options.put("s3.directory.marker.retention", "keep");
        // Fail within seconds, not minutes, when the server is gone.
        options.put("s3.attempts.maximum", "3");
        options.put("s3.retry.limit", "3");
        return options;
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(10));
    }
}
