package org.imagestream.benchmarks;

/**
 * A daemon thread that calls {@link #pollOnce} every so many milliseconds until closed, and keeps
 * the failure that stopped it, if one did, for the results to show: what a benchmark's watchers of
 * a run ({@link CheckpointWatch}, {@link CpuTimeline}) share.
 */
abstract class PollingThread implements AutoCloseable {
    private final Thread thread;
    private final long intervalMillis;
    private volatile boolean stopped;
    private volatile Exception failure;

    PollingThread(String name, long intervalMillis) {
        this.intervalMillis = intervalMillis;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    /** One poll at {@code nowMillis}; an exception stops the thread and is kept. */
    abstract void pollOnce(long nowMillis) throws Exception;

    final void startPolling() {
        thread.start();
    }

    private void run() {
        while (!stopped) {
            try {
                pollOnce(System.currentTimeMillis());
            } catch (Exception e) {
                failure = e;
                return;
            }
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The failure that stopped the polling, as a suffix for the results; empty if none. */
    final String failureNote() {
        Exception failed = failure;
        return failed == null ? "" : " (polling stopped: " + failed + ")";
    }

    /** Whether the polling thread is still running (for tests). */
    final boolean isRunning() {
        return thread.isAlive();
    }

    @Override
    public final void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join();
    }
}
