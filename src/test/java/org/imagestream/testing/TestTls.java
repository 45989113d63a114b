package org.imagestream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.imagestream.localstack.Commands;

/**
 * A self-signed server key pair for 127.0.0.1 and a trust store holding its certificate, both
 * PKCS12 and generated with the JDK's {@code keytool} (as an operator would), for tests that run
 * Kafka and Cassandra with TLS.
 *
 * @param keystore the server's key pair (for the broker and the Cassandra node)
 * @param truststore the certificate clients trust
 * @param password of both stores
 */
public record TestTls(Path keystore, Path truststore, String password) {
    /** Generates the two stores in {@code directory}. */
    public static TestTls generate(Path directory, String password) throws IOException {
        Files.createDirectories(directory);
        Path keystore = directory.resolve("server.p12");
        Path certificate = directory.resolve("server.crt");
        Path truststore = directory.resolve("truststore.p12");
        for (Path stale : List.of(keystore, certificate, truststore)) {
            Files.deleteIfExists(stale);
        }
        keytool(
                directory,
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=127.0.0.1,O=imagestream test",
                // Clients verify the host name (Kafka's default https identification, the
                // Cassandra driver's hostname validation): the certificate must name the address.
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                password,
                "-keypass",
                password);
        keytool(
                directory,
                "-exportcert",
                "-rfc",
                "-alias",
                "server",
                "-keystore",
                keystore.toString(),
                "-storepass",
                password,
                "-file",
                certificate.toString());
        keytool(
                directory,
                "-importcert",
                "-noprompt",
                "-alias",
                "server",
                "-file",
                certificate.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                password);
        return new TestTls(keystore, truststore, password);
    }

    private static void keytool(Path directory, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Commands.run(
                command,
                directory.resolve("keytool.log"),
                Duration.ofSeconds(60),
                "keytool " + args[0]);
    }
}
