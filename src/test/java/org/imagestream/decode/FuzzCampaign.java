package org.imagestream.decode;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;
import org.imagestream.testing.HostileCorpus;

/**
 * A mutation campaign over the hostile corpus's seeds, longer and more varied than {@link
 * HostileInputTest}'s (which runs in every build): stacked random bytes, boundary integers written
 * over header fields in both byte orders, duplicated, deleted and spliced blocks, truncations. Each
 * input goes through the job's decode path (de-identification of medical records, then {@link
 * ImageDecoder#decode}) with the default limits, and must end as pixels or a {@link
 * DecodeException}; anything else is a finding, saved with its bytes under {@code out}. The input
 * under test is written to {@code out/current.bin} first, so an {@code OutOfMemoryError} that ends
 * the JVM ({@code -XX:+ExitOnOutOfMemoryError}, as a TaskManager runs) leaves it behind. Also
 * prints, per seed, the inputs that used the most CPU and allocated the most, for reading.
 *
 * <p>Not a test (it has no fixed end): {@code mvn -q test-compile exec:exec@fuzz -Dfuzz.args="OUT
 * ITERATIONS_PER_SEED [FIRST_ITERATION]"} (a 256 MiB heap, about one slot's, that ends on {@code
 * OutOfMemoryError}); after such an end, {@code OUT/current.txt} names the input and the iteration
 * to go on after. A finding becomes a regression test.
 */
public final class FuzzCampaign {
    private static final int[] BOUNDARIES = {
        0,
        1,
        2,
        0x7F,
        0x80,
        0xFF,
        0x100,
        0x7FFF,
        0x8000,
        0xFFFF,
        0x10000,
        0x7FFFFFFF,
        0x80000000,
        0xFFFFFFFF,
        0x40000,
        46341,
        65500
    };

    private FuzzCampaign() {}

    private record Outcome(String seed, int iteration, String how, double cpuMs, long allocated) {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int iterations = Integer.parseInt(args[1]);
        int first = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Files.createDirectories(out);
        DecodeLimits limits = DecodeLimits.DEFAULT;
        DicomDeidentifier deidentifier =
                new DicomDeidentifier("fuzz".getBytes(StandardCharsets.US_ASCII), limits);
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<String, HostileCorpus.Sample> seeds = HostileCorpus.seeds();
        List<HostileCorpus.Sample> all = new ArrayList<>(seeds.values());
        Map<String, Integer> findings = new TreeMap<>();
        List<Outcome> outcomes = new ArrayList<>();
        try (TfJpegDecoder jpeg = new TfJpegDecoder()) {
            for (int iteration = first; iteration < iterations; iteration++) {
                for (HostileCorpus.Sample seed : all) {
                    // One generator per (seed, iteration): a run restarted after a crash at
                    // FIRST_ITERATION makes the same inputs.
                    Random random = new Random(seed.name().hashCode() * 1_000_003L + iteration);
                    StringBuilder how = new StringBuilder();
                    byte[] input = mutate(seed, all, random, how);
                    Files.write(out.resolve("current.bin"), input);
                    Files.writeString(
                            out.resolve("current.txt"),
                            seed.name() + " iteration " + iteration + ": " + how + "\n");
                    long cpu = threads.getCurrentThreadCpuTime();
                    long allocated = threads.getCurrentThreadAllocatedBytes();
                    String result;
                    try {
                        ImageRecord record = new ImageRecord();
                        record.domain = seed.domain().id();
                        record.bytes =
                                seed.domain() == Domain.MEDICAL
                                        ? deidentifier.deidentify(input)
                                        : input;
                        ImageDecoder.decode(record, inputs(seed), limits, jpeg);
                        result = "OK";
                    } catch (DecodeException e) {
                        result = e.reason().name();
                    } catch (Throwable e) {
                        result = "FINDING " + e;
                        String name = seed.name() + "-" + iteration;
                        Files.write(out.resolve(name + ".bin"), input);
                        Files.writeString(
                                out.resolve(name + ".txt"),
                                how + "\n" + stackTrace(e),
                                StandardCharsets.UTF_8);
                        findings.merge(e.getClass().getName(), 1, Integer::sum);
                        System.out.println(name + ": " + e + " (" + how + ")");
                    }
                    double cpuMs = (threads.getCurrentThreadCpuTime() - cpu) / 1e6;
                    long bytes = threads.getCurrentThreadAllocatedBytes() - allocated;
                    outcomes.add(
                            new Outcome(seed.name(), iteration, result + " " + how, cpuMs, bytes));
                    if (cpuMs > limits.timeBudgetMillis()) {
                        String name = seed.name() + "-" + iteration + "-slow";
                        Files.write(out.resolve(name + ".bin"), input);
                        findings.merge("over the CPU budget", 1, Integer::sum);
                        System.out.printf(
                                Locale.ROOT, "%s: %.0f ms of CPU, %s%n", name, cpuMs, result);
                    }
                }
                if ((iteration + 1) % 50 == 0) {
                    System.out.println(
                            "iteration " + (iteration + 1) + ", findings so far " + findings);
                }
            }
        }
        report(outcomes, findings);
        Files.deleteIfExists(out.resolve("current.bin"));
        Files.deleteIfExists(out.resolve("current.txt"));
        System.exit(0); // TensorFlow's threads
    }

    private static void report(List<Outcome> outcomes, Map<String, Integer> findings) {
        System.out.println("inputs: " + outcomes.size() + ", findings: " + findings);
        System.out.println("most CPU:");
        outcomes.stream()
                .sorted(Comparator.comparingDouble(Outcome::cpuMs).reversed())
                .limit(12)
                .forEach(
                        o ->
                                System.out.printf(
                                        Locale.ROOT,
                                        "  %.0f ms  %s #%d  %s%n",
                                        o.cpuMs(),
                                        o.seed(),
                                        o.iteration(),
                                        o.how()));
        System.out.println("most allocated:");
        outcomes.stream()
                .sorted(Comparator.comparingLong(Outcome::allocated).reversed())
                .limit(12)
                .forEach(
                        o ->
                                System.out.printf(
                                        Locale.ROOT,
                                        "  %.1f MB  %s #%d  %s%n",
                                        o.allocated() / 1e6,
                                        o.seed(),
                                        o.iteration(),
                                        o.how()));
    }

    /** The seed's own model geometry: a 4-band scene is not refused for a 13-band model. */
    private static Map<Domain, ModelInput> inputs(HostileCorpus.Sample seed) {
        Map<Domain, ModelInput> inputs = new EnumMap<>(Domain.class);
        inputs.put(Domain.SOCIAL, new ModelInput(224, 224, 3));
        int bands =
                seed.name().startsWith("planar")
                        ? 4
                        : seed.name().startsWith("cog-bigtiff") ? 3 : 13;
        inputs.put(Domain.REMOTE_SENSING, new ModelInput(64, 64, bands));
        inputs.put(Domain.MEDICAL, new ModelInput(128, 128, 1));
        return inputs;
    }

    /** One to four stacked mutations of the seed, described in {@code how}. */
    static byte[] mutate(
            HostileCorpus.Sample seed,
            List<HostileCorpus.Sample> all,
            Random random,
            StringBuilder how) {
        byte[] bytes = seed.bytes().clone();
        int count = 1 + random.nextInt(4);
        for (int m = 0; m < count && bytes.length > 0; m++) {
            int kind = random.nextInt(6);
            // Headers are where parsers break: half the positions fall in the first 512 bytes.
            int at =
                    random.nextBoolean()
                            ? random.nextInt(Math.min(512, bytes.length))
                            : random.nextInt(bytes.length);
            switch (kind) {
                case 0 -> {
                    int n = 1 << random.nextInt(5);
                    for (int i = 0; i < n; i++) {
                        bytes[Math.min(bytes.length - 1, at + random.nextInt(16))] =
                                (byte) random.nextInt(256);
                    }
                    how.append("bytes@").append(at).append(' ');
                }
                case 1 -> {
                    int value = BOUNDARIES[random.nextInt(BOUNDARIES.length)];
                    boolean wide = random.nextBoolean();
                    ByteOrder order =
                            random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
                    int width = wide ? 4 : 2;
                    if (at + width <= bytes.length) {
                        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(order);
                        if (wide) {
                            buffer.putInt(at, value);
                        } else {
                            buffer.putShort(at, (short) value);
                        }
                    }
                    how.append(
                            String.format(
                                    Locale.ROOT,
                                    "int%d=%x@%d%s ",
                                    width * 8,
                                    value,
                                    at,
                                    order == ByteOrder.BIG_ENDIAN ? "be" : "le"));
                }
                case 2 -> {
                    int length = 1 + random.nextInt(Math.min(4096, bytes.length));
                    int from = random.nextInt(bytes.length);
                    length = Math.min(length, bytes.length - from);
                    byte[] grown = new byte[bytes.length + length];
                    System.arraycopy(bytes, 0, grown, 0, at);
                    System.arraycopy(bytes, from, grown, at, length);
                    System.arraycopy(bytes, at, grown, at + length, bytes.length - at);
                    bytes = grown;
                    how.append("dup")
                            .append(from)
                            .append('+')
                            .append(length)
                            .append('@')
                            .append(at)
                            .append(' ');
                }
                case 3 -> {
                    int length = Math.min(1 + random.nextInt(256), bytes.length - at);
                    byte[] shrunk = new byte[bytes.length - length];
                    System.arraycopy(bytes, 0, shrunk, 0, at);
                    System.arraycopy(bytes, at + length, shrunk, at, shrunk.length - at);
                    bytes = shrunk;
                    how.append("del").append(length).append('@').append(at).append(' ');
                }
                case 4 -> {
                    HostileCorpus.Sample other = all.get(random.nextInt(all.size()));
                    int from = random.nextInt(other.bytes().length);
                    byte[] spliced = new byte[at + other.bytes().length - from];
                    System.arraycopy(bytes, 0, spliced, 0, at);
                    System.arraycopy(other.bytes(), from, spliced, at, spliced.length - at);
                    bytes = spliced;
                    how.append("splice ").append(other.name()).append('@').append(at).append(' ');
                }
                default -> {
                    bytes = java.util.Arrays.copyOf(bytes, Math.max(1, at));
                    how.append("cut@").append(at).append(' ');
                }
            }
        }
        return bytes;
    }

    private static String stackTrace(Throwable e) {
        java.io.StringWriter text = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(text));
        return text.toString();
    }
}
