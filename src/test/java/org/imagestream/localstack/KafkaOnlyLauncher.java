package org.imagestream.localstack;

import java.nio.file.Path;

/**
 * Test helper run as its own JVM by {@link ServerLifecycleITCase}: starts a Kafka broker, prints
 * its pid and then waits to be killed, so the test can check that the broker dies with it.
 */
public final class KafkaOnlyLauncher {
    private KafkaOnlyLauncher() {}

    public static void main(String[] args) throws Exception {
        KafkaServer kafka =
                KafkaServer.start(Path.of(args[0]), Path.of(args[1]), Ports.free(), "128m");
        System.out.println("KAFKA_PID=" + kafka.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
