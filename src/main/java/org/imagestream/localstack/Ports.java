package org.imagestream.localstack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on 127.0.0.1 for servers started here, so several stacks (or a stray service)
 * never collide.
 *
 * <p>Chosen below the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}): a port from
 * that range, free when chosen, can be taken by any outgoing connection before the server binds it
 * (a Cassandra node once failed to start because its storage port had become a client connection's
 * local port in the meantime).
 */
public final class Ports {
    /**
     * Lowest port handed out: above the ports the usual services listen on (Kafka 9092, Cassandra
     * 7000/9042, Flink 8081, Prometheus 9090); every port is checked bindable anyway.
     */
    private static final int LOWEST = 20_000;

    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    /** Linux's default first ephemeral port, when the kernel's setting cannot be read. */
    private static final int DEFAULT_FIRST_EPHEMERAL = 32_768;

    private Ports() {}

    public static int free() {
        int below = firstEphemeralPort();
        if (below - LOWEST >= 1_000) {
            for (int attempt = 0; attempt < 200; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
                if (bindable(port)) {
                    return port;
                }
            }
        }
        // A kernel whose ephemeral range leaves no room below it, or no bindable port found
        // there: any free port.
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private static int firstEphemeralPort() {
        // Read as a stream: Files.readString trusts the size procfs reports and returned one
        // character of this file.
        try (BufferedReader reader = Files.newBufferedReader(EPHEMERAL_RANGE)) {
            return Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return DEFAULT_FIRST_EPHEMERAL;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
