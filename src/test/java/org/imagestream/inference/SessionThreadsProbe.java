package org.imagestream.inference;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import org.imagestream.model.Domain;
import org.imagestream.training.ModelStoreAccess;

/**
 * Runs in a JVM of its own (TensorFlow's process-wide pools are created by the first session of a
 * process, so a JVM that has run other tests could hide them): opens the social seed model twice as
 * {@link SavedModelClassifier#open(ModelSpec, int)} with {@code threads} threads, classifies on two
 * caller threads at once, as two classify subtasks of one TaskManager do, and prints the CPU time
 * of every thread that did not exist when the probe started, one line {@code thread <tid>
 * <nanoseconds> <origin>} each, from the kernel's per-thread accounting. With a third argument
 * {@code after-defaults} it first opens, uses and closes a session with TensorFlow's defaults, as a
 * JVM that loaded a model some other way before the job's does: that session sizes the process's
 * intra-op pool (a thread per core), which the later sessions share unless the process was started
 * with {@link SavedModelClassifier#OWN_INTRA_OP_POOLS}. The origin says which threads that session
 * left behind ({@value #MADE_BY_THE_DEFAULTS_SESSION}) and which came with the two sessions
 * ({@value #MADE_WITH_THE_SESSIONS}).
 */
public final class SessionThreadsProbe {
    /** The origin of a thread that existed once the session with TensorFlow's defaults closed. */
    static final String MADE_BY_THE_DEFAULTS_SESSION = "defaults-session";

    /** The origin of a thread made after that: with the two sessions, or while they ran. */
    static final String MADE_WITH_THE_SESSIONS = "sessions";

    private SessionThreadsProbe() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int runs = Integer.parseInt(args[1]);
        boolean afterDefaults = args.length > 2 && args[2].equals("after-defaults");
        ModelSpec spec = ModelStoreAccess.seedModels().get(Domain.SOCIAL);
        Map<String, Long> before = cpuNanosByThread();
        if (afterDefaults) {
            try (SavedModelClassifier defaults = SavedModelClassifier.open(spec)) {
                defaults.classify(
                        List.of(new float[spec.height() * spec.width() * spec.channels()]));
            }
        }
        Map<String, Long> beforeTheSessions = cpuNanosByThread();
        try (SavedModelClassifier first = SavedModelClassifier.open(spec, threads);
                SavedModelClassifier second = SavedModelClassifier.open(spec, threads)) {
            List<float[]> batch = new ArrayList<>();
            Random random = new Random(3);
            for (int i = 0; i < 64; i++) {
                float[] image = new float[spec.height() * spec.width() * spec.channels()];
                for (int p = 0; p < image.length; p++) {
                    image[p] = random.nextFloat();
                }
                batch.add(image);
            }
            CyclicBarrier start = new CyclicBarrier(2);
            List<Thread> callers = new ArrayList<>();
            for (SavedModelClassifier classifier : List.of(first, second)) {
                Thread caller =
                        new Thread(
                                () -> {
                                    try {
                                        start.await();
                                        for (int i = 0; i < runs; i++) {
                                            classifier.classify(batch);
                                        }
                                    } catch (Exception e) {
                                        throw new IllegalStateException(e);
                                    }
                                });
                caller.start();
                callers.add(caller);
            }
            for (Thread caller : callers) {
                caller.join();
            }
            Map<String, Long> after = cpuNanosByThread();
            after.forEach(
                    (tid, nanos) -> {
                        if (!before.containsKey(tid)) {
                            String origin =
                                    beforeTheSessions.containsKey(tid)
                                            ? MADE_BY_THE_DEFAULTS_SESSION
                                            : MADE_WITH_THE_SESSIONS;
                            System.out.println("thread " + tid + " " + nanos + " " + origin);
                        }
                    });
            System.out.println(
                    SavedModelClassifier.OWN_INTRA_OP_POOLS
                            + "="
                            + System.getenv(SavedModelClassifier.OWN_INTRA_OP_POOLS));
        }
    }

    /** On-CPU time per thread of this process ({@code /proc/self/task/<tid>/schedstat}). */
    private static Map<String, Long> cpuNanosByThread() throws IOException {
        Map<String, Long> nanos = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String schedstat = Files.readString(task.resolve("schedstat")).trim();
                    nanos.put(
                            task.getFileName().toString(), Long.parseLong(schedstat.split(" ")[0]));
                } catch (NoSuchFileException e) {
                    // The thread ended while the directory was listed.
                }
            }
        }
        return nanos;
    }
}
