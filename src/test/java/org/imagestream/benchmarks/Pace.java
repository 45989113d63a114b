package org.imagestream.benchmarks;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * When a paced writer starts each image: {@code imagesPerSecond} on average (0: each as soon as it
 * can), in bursts of {@code burst} images started together, as a job fed by a live producer writes
 * them (one at a time, or a classified batch at once). Written {@code R} or {@code RxK} ({@code
 * 113.5x6}: bursts of six, 113.5 images/s). The benchmarks' producers and writers all pace by it.
 */
record Pace(double imagesPerSecond, int burst) {
    static final Pace FLAT_OUT = new Pace(0, 1);

    Pace {
        if (imagesPerSecond < 0 || burst < 1 || (imagesPerSecond == 0 && burst != 1)) {
            throw new IllegalArgumentException(
                    "pace: images/s >= 0 and bursts of >= 1, not " + imagesPerSecond + "x" + burst);
        }
    }

    /** One image every {@code 1 / imagesPerSecond} seconds; flat out for 0. */
    static Pace steady(double imagesPerSecond) {
        return imagesPerSecond == 0 ? FLAT_OUT : new Pace(imagesPerSecond, 1);
    }

    static Pace parse(String spec) {
        String[] parts = spec.trim().split("x", 2);
        return new Pace(
                Double.parseDouble(parts[0]), parts.length == 1 ? 1 : Integer.parseInt(parts[1]));
    }

    /** Nanoseconds after the start at which image {@code index} (from 0) may start. */
    long dueNanos(long index) {
        if (imagesPerSecond == 0) {
            return 0;
        }
        return (long) ((index / burst) * burst * 1e9 / imagesPerSecond);
    }

    /**
     * Sleeps until image {@code index} of a run that started at {@code startedNanos} ({@link
     * System#nanoTime}) is due, and returns when it was due, on that clock.
     */
    long awaitTurn(long startedNanos, long index) throws InterruptedException {
        long due = startedNanos + dueNanos(index);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
        return due;
    }

    @Override
    public String toString() {
        if (imagesPerSecond == 0) {
            return "as fast as the in-flight limit allows";
        }
        return String.format(Locale.ROOT, "paced at %.1f img/s", imagesPerSecond)
                + (burst == 1 ? "" : " in bursts of " + burst);
    }
}
