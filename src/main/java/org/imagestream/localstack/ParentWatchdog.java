package org.imagestream.localstack;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Main class of every server the local stack starts: it runs the real server's main class and exits
 * the JVM when its standard input reaches end-of-file, which happens when the parent JVM dies for
 * any reason, including {@code kill -9}. This way no Kafka or Cassandra process outlives the test
 * run or the demo that started it.
 *
 * <p>Copied as a single class file onto the server's class path, so it must not reference any other
 * project class (no lambdas or nested classes either).
 */
public final class ParentWatchdog extends Thread {
    /** After a graceful exit request, force the JVM down if shutdown hooks hang this long. */
    private static final long HALT_AFTER_MILLIS = 30_000;

    /** Two roles, one class (so one class file): watch stdin, or halt after a grace period. */
    private final boolean halter;

    private ParentWatchdog(boolean halter) {
        super(halter ? "parent-watchdog-halter" : "parent-watchdog");
        this.halter = halter;
        setDaemon(true);
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: ParentWatchdog <main-class> [args...]");
            System.exit(2);
        }
        new ParentWatchdog(false).start();
        Class<?> mainClass = Class.forName(args[0]);
        Method main = mainClass.getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    }

    @Override
    public void run() {
        if (halter) {
            try {
                Thread.sleep(HALT_AFTER_MILLIS);
            } catch (InterruptedException ignored) {
                return;
            }
            Runtime.getRuntime().halt(1);
        }
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // The parent never writes; anything read is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as end-of-file: the parent is gone.
        }
        System.err.println("parent-watchdog: parent process is gone, shutting down");
        new ParentWatchdog(true).start();
        System.exit(0);
    }
}
