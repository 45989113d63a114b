package org.imagestream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.flink.core.fs.FileSystem;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.DirectoryUris;
import org.imagestream.config.JobOptions;
import org.imagestream.ingest.ContentSniffer;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.model.Domain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code produce}: publishes image files to Kafka in the job's wire format. Takes files, folders
 * (recursively) and glob patterns; detects each file's domain from its magic bytes unless forced;
 * skips what is not an image or is too large, with the reason; exits non-zero if anything failed.
 */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description = "Publish image files, folders (recursive) and globs to Kafka.")
final class ProduceCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(
            paramLabel = "PATH",
            arity = "1..*",
            description = "Files, folders or glob patterns (e.g. 'scans/**/*.dcm').")
    List<String> paths;

    @Mixin KafkaConnectionOptions kafka;

    @Option(names = "--topic", description = "One topic for every image; default: images-<domain>.")
    String topic;

    @Option(
            names = "--domain",
            description =
                    "Force the domain (social, remote-sensing, medical) instead of detecting it.")
    String domain;

    @Option(names = "--header", description = "Extra header key=value (repeatable).")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(
            names = "--rate",
            defaultValue = "0",
            description = "Images per second at most; 0 = as fast as possible (default).")
    double rate;

    @Option(
            names = "--max-bytes",
            description =
                    "Skip files larger than this (default: 16777216, the job's limit"
                            + " limits.max-image-bytes).")
    long maxBytes = JobOptions.MAX_IMAGE_BYTES.defaultValue();

    @Option(names = "--no-progress", description = "No progress bar (for logs and CI).")
    boolean noProgress;

    @Option(
            names = "--by-reference",
            paramLabel = "URI",
            description =
                    "Upload each file to this object-store directory (s3://bucket/incoming/,"
                            + " hdfs://..., file:///...) under its SHA-256 and publish a reference"
                            + " (empty value, content-location header) instead of its bytes: for"
                            + " files larger than a Kafka record. The job reads references under"
                            + " its ingest.reference-prefixes. --max-bytes does not apply.")
    String byReference;

    @Mixin FileSystemOptions fileSystems;

    /** Leading bytes read to detect a file's format when it is sent by reference. */
    private static final int SNIFFED_BYTES = 64 * 1024;

    @Override
    public Integer call() throws Exception {
        List<Path> files = expand(paths);
        if (byReference != null) {
            byReference = DirectoryUris.require(byReference, "--by-reference");
            fileSystems.initialize();
        }
        Properties properties = kafka.properties();
        Optional<Domain> forced = Optional.ofNullable(domain).map(Domain::fromId);
        int sent = 0;
        Map<String, Integer> skipped = new LinkedHashMap<>();
        Map<String, Integer> failed = new LinkedHashMap<>();
        List<Future<RecordMetadata>> inFlight = new ArrayList<>();
        List<Path> inFlightFiles = new ArrayList<>();
        long started = System.nanoTime();
        try (ImagePublisher publisher = new ImagePublisher(properties);
                ProgressBar progress =
                        new ProgressBarBuilder()
                                .setTaskName("produce")
                                .setInitialMax(files.size())
                                .setStyle(ProgressBarStyle.ASCII)
                                .setConsumer(
                                        noProgress
                                                ? new me.tongfei.progressbar
                                                        .DelegatingProgressBarConsumer(line -> {})
                                                : new me.tongfei.progressbar
                                                        .ConsoleProgressBarConsumer(System.err))
                                .build()) {
            for (int i = 0; i < files.size(); i++) {
                Path file = files.get(i);
                progress.step();
                if (rate > 0) {
                    long due = started + (long) (i / rate * 1e9);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                long size = Files.size(file);
                if (byReference == null && size > maxBytes) {
                    skipped.merge("larger than --max-bytes", 1, Integer::sum);
                    continue;
                }
                byte[] bytes = byReference == null ? Files.readAllBytes(file) : leadingBytes(file);
                Optional<ContentSniffer.Detected> detected = ContentSniffer.detect(bytes);
                if (detected.isEmpty() && forced.isEmpty()) {
                    skipped.merge("not a recognised image format", 1, Integer::sum);
                    continue;
                }
                Domain target = forced.orElseGet(() -> detected.get().domain());
                String contentType =
                        detected.map(ContentSniffer.Detected::contentType)
                                .orElse("application/octet-stream");
                String destination = topic != null ? topic : JobOptions.topicOf(target);
                Map<String, String> recordHeaders = new LinkedHashMap<>();
                // Capture time: the file's modification time, unless the caller set one.
                recordHeaders.put(
                        ImageHeaders.CAPTURE_TIME,
                        Files.getLastModifiedTime(file).toInstant().toString());
                recordHeaders.putAll(headers);
                if (byReference != null) {
                    recordHeaders.put(ImageHeaders.CONTENT_LOCATION, upload(file, byReference));
                    bytes = new byte[0];
                }
                inFlight.add(
                        publisher.publish(
                                destination,
                                target.id(),
                                file.toString(),
                                contentType,
                                bytes,
                                recordHeaders));
                inFlightFiles.add(file);
                if (inFlight.size() >= 256) {
                    sent += await(inFlight, inFlightFiles, failed);
                }
            }
            publisher.flush();
            sent += await(inFlight, inFlightFiles, failed);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
                "sent %d, skipped %d, failed %d of %d file(s) in %.1f s%n",
                sent,
                skipped.values().stream().mapToInt(Integer::intValue).sum(),
                failed.values().stream().mapToInt(Integer::intValue).sum(),
                files.size(),
                seconds);
        skipped.forEach((reason, count) -> System.out.printf("  skipped %d: %s%n", count, reason));
        failed.forEach((reason, count) -> System.out.printf("  failed %d: %s%n", count, reason));
        return failed.isEmpty() ? 0 : 1;
    }

    /** The first bytes of a file, enough to detect its format. */
    private static byte[] leadingBytes(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(SNIFFED_BYTES);
        }
    }

    /**
     * Streams the file to {@code <directory><sha256>} unless an object of its size is there already
     * (content-addressed, so re-running the command uploads nothing twice); returns the object's
     * URI.
     */
    static String upload(Path file, String directory) throws IOException {
        String sha256;
        try (InputStream in = Files.newInputStream(file)) {
            sha256 = DigestUtils.sha256Hex(in);
        }
        String location = directory + sha256;
        org.apache.flink.core.fs.Path target = new org.apache.flink.core.fs.Path(location);
        FileSystem fileSystem = target.getFileSystem();
        long size = Files.size(file);
        if (fileSystem.exists(target) && fileSystem.getFileStatus(target).getLen() == size) {
            return location;
        }
        try (InputStream in = Files.newInputStream(file);
                OutputStream out = fileSystem.create(target, FileSystem.WriteMode.OVERWRITE)) {
            in.transferTo(out);
        }
        return location;
    }

    private static int await(
            List<Future<RecordMetadata>> inFlight, List<Path> files, Map<String, Integer> failed)
            throws InterruptedException {
        int ok = 0;
        for (int i = 0; i < inFlight.size(); i++) {
            try {
                inFlight.get(i).get();
                ok++;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                failed.merge(
                        cause.getClass().getSimpleName() + ": " + cause.getMessage(),
                        1,
                        Integer::sum);
            }
        }
        inFlight.clear();
        files.clear();
        return ok;
    }

    /** Files, folders (recursively, sorted) and glob patterns to a list of regular files. */
    static List<Path> expand(List<String> arguments) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String argument : arguments) {
            Path path = Path.of(argument);
            if (Files.isRegularFile(path)) {
                files.add(path);
            } else if (Files.isDirectory(path)) {
                try (Stream<Path> walk = Files.walk(path)) {
                    walk.filter(Files::isRegularFile).sorted().forEach(files::add);
                }
            } else if (argument.contains("*") || argument.contains("?") || argument.contains("[")) {
                int firstWildcard = firstWildcard(argument);
                int slash = argument.lastIndexOf('/', firstWildcard);
                Path base =
                        slash < 0
                                ? Path.of(".")
                                : Path.of(argument.substring(0, Math.max(1, slash)));
                PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + argument);
                if (Files.isDirectory(base)) {
                    try (Stream<Path> walk = Files.walk(base)) {
                        walk.filter(Files::isRegularFile)
                                .filter(p -> matcher.matches(slash < 0 ? base.relativize(p) : p))
                                .sorted()
                                .forEach(files::add);
                    }
                }
            } else {
                throw new IOException("No such file or folder: " + argument);
            }
        }
        return files;
    }

    private static int firstWildcard(String pattern) {
        int index = pattern.length();
        for (char c : new char[] {'*', '?', '['}) {
            int i = pattern.indexOf(c);
            if (i >= 0) {
                index = Math.min(index, i);
            }
        }
        return index;
    }
}
