package org.imagestream.benchmarks;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.imagestream.benchmarks.EndToEndBenchmark.Item;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.DecodedPixels;
import org.imagestream.decode.ImageDecoders;
import org.imagestream.decode.TfJpegDecoder;
import org.imagestream.inference.ModelSpec;
import org.imagestream.inference.SavedModelClassifier;
import org.imagestream.model.Domain;

/**
 * The end-to-end benchmark's arms without Kafka or Cassandra ({@link EndToEndBenchmark}): (a) the
 * raw TF ceiling of the social model and (b) the compute floor of the whole mix.
 */
final class ComputeArms {
    private ComputeArms() {}

    static Map<Integer, Double> rawCeiling(ModelSpec social, List<Item> items) throws Exception {
        List<float[]> tensors = new ArrayList<>();
        try (TfJpegDecoder jpeg = new TfJpegDecoder()) {
            for (Item item : items) {
                if (item.domain() == Domain.SOCIAL && tensors.size() < 256) {
                    tensors.add(decode(item, social, jpeg).pixels());
                }
            }
        }
        Map<Integer, Double> perBatch = new LinkedHashMap<>();
        try (SavedModelClassifier classifier = SavedModelClassifier.open(social)) {
            for (int batch : new int[] {1, 32, 128}) {
                List<float[]> input = new ArrayList<>();
                for (int i = 0; i < batch; i++) {
                    input.add(tensors.get(i % tensors.size()));
                }
                classifier.classify(input); // warm-up
                long started = System.nanoTime();
                long done = 0;
                while (System.nanoTime() - started < 8_000_000_000L) {
                    classifier.classify(input);
                    done += batch;
                }
                perBatch.put(batch, done / ((System.nanoTime() - started) / 1e9));
                System.out.printf("ceiling (a) batch %d: %.1f img/s%n", batch, perBatch.get(batch));
            }
        }
        return perBatch;
    }

    /**
     * Decodes chunk k+1 on {@link EndToEndBenchmark#CORES} threads while chunk k is classified (per
     * domain, one batch), over the whole mix after one warm-up chunk.
     */
    static double computeFloor(
            Map<Domain, ModelSpec> specs, List<Item> items, double[] cpuMillisPerImage)
            throws Exception {
        int chunk = 128;
        ExecutorService pool = Executors.newFixedThreadPool(EndToEndBenchmark.CORES);
        ThreadLocal<TfJpegDecoder> jpegs = ThreadLocal.withInitial(TfJpegDecoder::new);
        Map<Domain, SavedModelClassifier> classifiers = new EnumMap<>(Domain.class);
        try {
            for (Map.Entry<Domain, ModelSpec> spec : specs.entrySet()) {
                classifiers.put(spec.getKey(), SavedModelClassifier.open(spec.getValue()));
            }
            List<Future<DecodedPixels>> next = submit(pool, jpegs, specs, items, 0, chunk);
            long started = 0;
            double cpuStart = 0;
            Map<Long, Long> compilersAtStart = Map.of();
            int counted = 0;
            for (int from = 0; from < items.size(); from += chunk) {
                List<Future<DecodedPixels>> current = next;
                int to = Math.min(items.size(), from + chunk);
                next = submit(pool, jpegs, specs, items, to, to + chunk);
                Map<Domain, List<float[]>> batches = new EnumMap<>(Domain.class);
                for (int i = from; i < to; i++) {
                    batches.computeIfAbsent(items.get(i).domain(), d -> new ArrayList<>())
                            .add(current.get(i - from).get().pixels());
                }
                batches.forEach((domain, batch) -> classifiers.get(domain).classify(batch));
                if (from == 0) {
                    started = System.nanoTime(); // the first chunk warms up
                    cpuStart = CpuProfile.cpuSeconds(ProcessHandle.current().pid());
                    compilersAtStart = CpuProfile.compilerTicks(ProcessHandle.current().pid());
                } else {
                    counted += to - from;
                }
            }
            double floor = counted / ((System.nanoTime() - started) / 1e9);
            cpuMillisPerImage[0] =
                    (CpuProfile.cpuSeconds(ProcessHandle.current().pid()) - cpuStart)
                            * 1000
                            / counted;
            cpuMillisPerImage[1] =
                    CpuProfile.compilerSeconds(
                                    compilersAtStart,
                                    CpuProfile.compilerTicks(ProcessHandle.current().pid()))
                            * 1000
                            / counted;
            System.out.printf(
                    "compute floor (b): %.1f img/s, %.1f ms CPU/image, of which JIT compilers"
                            + " %.1f%n",
                    floor, cpuMillisPerImage[0], cpuMillisPerImage[1]);
            return floor;
        } finally {
            pool.shutdownNow();
            classifiers.values().forEach(SavedModelClassifier::close);
        }
    }

    private static List<Future<DecodedPixels>> submit(
            ExecutorService pool,
            ThreadLocal<TfJpegDecoder> jpegs,
            Map<Domain, ModelSpec> specs,
            List<Item> items,
            int from,
            int to) {
        List<Future<DecodedPixels>> futures = new ArrayList<>();
        for (int i = from; i < Math.min(to, items.size()); i++) {
            Item item = items.get(i);
            futures.add(pool.submit(() -> decode(item, specs.get(item.domain()), jpegs.get())));
        }
        return futures;
    }

    private static DecodedPixels decode(Item item, ModelSpec spec, TfJpegDecoder jpeg)
            throws Exception {
        return ImageDecoders.decode(
                item.domain(), item.bytes(), spec.modelInput(), DecodeLimits.DEFAULT, jpeg);
    }
}
