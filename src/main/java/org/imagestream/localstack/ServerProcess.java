package org.imagestream.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server running as a child JVM: class path from a resolved {@code lib/} directory, output to a
 * fresh log file, started through {@link ParentWatchdog} so it dies with its parent. Readiness is a
 * line in the fresh log (never an old file) within a deadline; stop is SIGTERM, then SIGKILL.
 */
final class ServerProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerProcess.class);

    private final String name;
    private final Process process;
    private final Path logFile;

    private ServerProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts {@code mainClass} with {@code lib/*} on the class path. When running as root, drops
     * CAP_IPC_LOCK (via setpriv) so Cassandra's mlockall cannot pin its whole address space.
     */
    static ServerProcess start(
            String name,
            Path libDirectory,
            Path workDirectory,
            List<String> jvmOptions,
            String mainClass,
            List<String> args)
            throws IOException {
        return start(name, libDirectory, workDirectory, jvmOptions, mainClass, args, Map.of());
    }

    /** As above, with extra environment variables for the child. */
    static ServerProcess start(
            String name,
            Path libDirectory,
            Path workDirectory,
            List<String> jvmOptions,
            String mainClass,
            List<String> args,
            Map<String, String> environment)
            throws IOException {
        if (!Files.isDirectory(libDirectory)) {
            throw new IOException(
                    "Server class path "
                            + libDirectory
                            + " does not exist; run 'mvn generate-resources'"
                            + " (or any later phase) once to resolve the local stack's servers");
        }
        Path watchdogDirectory = installWatchdog(workDirectory);
        Path logFile = workDirectory.resolve(name + ".log");
        Files.deleteIfExists(logFile);
        List<String> command = new ArrayList<>();
        if (isRoot() && Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
            command.addAll(
                    List.of(
                            "/usr/bin/setpriv",
                            "--bounding-set=-ipc_lock",
                            "--inh-caps=-ipc_lock"));
        }
        command.add(Commands.javaLauncher());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(libDirectory.toAbsolutePath() + "/*:" + watchdogDirectory.toAbsolutePath());
        command.add(ParentWatchdog.class.getName());
        command.add(mainClass);
        command.addAll(args);
        LOG.debug("Starting {}: {}", name, command);
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .directory(workDirectory.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(logFile.toFile());
        builder.environment().putAll(environment);
        // stdin stays a pipe from us: when this JVM dies the pipe closes and the watchdog exits.
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        Process process = builder.start();
        return new ServerProcess(name, process, logFile);
    }

    /** Blocks until {@code readyLine} appears in the log, the process dies, or the deadline. */
    void awaitLogLine(String readyLine, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(logFile)
                    && Files.readString(logFile, StandardCharsets.ISO_8859_1).contains(readyLine)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IOException(
                        name
                                + " exited with code "
                                + process.exitValue()
                                + " before it was ready; last log lines:\n"
                                + tail(40));
            }
            sleep(100);
        }
        throw new IOException(
                name
                        + " was not ready within "
                        + timeout.toSeconds()
                        + " s (waiting for '"
                        + readyLine
                        + "'); last log lines:\n"
                        + tail(40));
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    Path logFile() {
        return logFile;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, wait up to {@code grace}, then SIGKILL; also kills any process it forked. */
    void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("{} did not stop within {} s; killing it", name, grace.toSeconds());
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the server at once (fault drills). */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(20));
    }

    private static Path installWatchdog(Path workDirectory) throws IOException {
        String resource = ParentWatchdog.class.getName().replace('.', '/') + ".class";
        Path target = workDirectory.resolve("watchdog").resolve(resource);
        Files.createDirectories(target.getParent());
        try (InputStream in = ParentWatchdog.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("cannot find " + resource + " on the class path");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return workDirectory.resolve("watchdog");
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * A JVM flag that logs every GC pause with its length to {@code gc.log} in {@code directory}.
     */
    static String gcLogFlag(Path directory) {
        return "-Xlog:gc:file=" + directory.resolve("gc.log").toAbsolutePath() + ":time,uptime";
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while waiting", e));
        }
    }
}
