package org.imagestream.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The local stack never leaks servers: not even when the JVM that started them is killed. */
class ServerLifecycleITCase {
    @Test
    void shouldStopTheBrokerWhenItsParentJvmIsKilled() throws Exception {
        Path lib = LocalStack.libRoot().resolve("kafka/lib");
        Path work =
                Path.of(
                        System.getProperty("imagestream.work.dir", "target/it-work"),
                        "lifecycle-" + System.nanoTime());
        Process parent =
                new ProcessBuilder(
                                Commands.javaLauncher(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                KafkaOnlyLauncher.class.getName(),
                                lib.toString(),
                                work.toString())
                        .redirectErrorStream(true)
                        .start();
        long kafkaPid = -1;
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("KAFKA_PID=")) {
                    kafkaPid = Long.parseLong(line.substring("KAFKA_PID=".length()));
                    break;
                }
            }
            assertThat(kafkaPid).as("launcher printed the broker pid").isPositive();
            Optional<ProcessHandle> broker = ProcessHandle.of(kafkaPid);
            assertThat(broker).isPresent();
            assertThat(broker.get().isAlive()).isTrue();

            parent.destroyForcibly(); // SIGKILL: no shutdown hooks run in the parent
            parent.waitFor(10, TimeUnit.SECONDS);

            broker.get().onExit().get(40, TimeUnit.SECONDS);
            assertThat(broker.get().isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (kafkaPid > 0) {
                ProcessHandle.of(kafkaPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
