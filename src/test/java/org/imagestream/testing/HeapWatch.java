package org.imagestream.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The largest heap occupancy right after a collection, sampled every 200 ms: the collections the
 * JVM ran anyway ({@link #start}), or a full collection forced before every sample ({@link
 * #startForcingCollections}: the live set, whatever the collector did; costs CPU).
 */
public final class HeapWatch {
    private final AtomicLong max = new AtomicLong();
    private final Thread thread;

    private HeapWatch(boolean forceCollections) {
        thread = new Thread(forceCollections ? this::runForcing : this::run, "heap-watch");
        thread.setDaemon(true);
    }

    public static HeapWatch start() {
        HeapWatch watch = new HeapWatch(false);
        watch.thread.start();
        return watch;
    }

    public static HeapWatch startForcingCollections() {
        HeapWatch watch = new HeapWatch(true);
        watch.thread.start();
        return watch;
    }

    private void runForcing() {
        while (!Thread.currentThread().isInterrupted()) {
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            max.accumulateAndGet(used, Math::max);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            long afterGc = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                MemoryUsage usage = pool.getCollectionUsage();
                if (pool.getType() == MemoryType.HEAP && usage != null) {
                    afterGc += usage.getUsed();
                }
            }
            max.accumulateAndGet(afterGc, Math::max);
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public long maxAfterGc() {
        return max.get();
    }

    public void stop() throws InterruptedException {
        thread.interrupt();
        thread.join(1000);
    }
}
