package org.imagestream.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/** nodetool's flush and compaction queue, over the node's local JMX port. */
final class NodeJmx implements AutoCloseable {
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(5);

    private final JMXConnector connector;
    private final MBeanServerConnection server;

    private NodeJmx(JMXConnector connector) throws IOException {
        this.connector = connector;
        try {
            this.server = connector.getMBeanServerConnection();
        } catch (IOException e) {
            connector.close();
            throw e;
        }
    }

    static NodeJmx connect(int port) throws IOException {
        return new NodeJmx(
                JMXConnectorFactory.connect(
                        new JMXServiceURL(
                                "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi")));
    }

    /**
     * Flushes every table of {@code keyspace} and waits until no compaction runs or waits (twice in
     * a row, a second apart: a finished flush may queue a compaction).
     */
    void flushAndSettle(String keyspace) throws Exception {
        server.invoke(
                new ObjectName("org.apache.cassandra.db:type=StorageService"),
                "forceKeyspaceFlush",
                new Object[] {keyspace, new String[0]},
                new String[] {String.class.getName(), String[].class.getName()});
        ObjectName manager = new ObjectName("org.apache.cassandra.db:type=CompactionManager");
        ObjectName pending =
                new ObjectName("org.apache.cassandra.metrics:type=Compaction,name=PendingTasks");
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        int idlePolls = 0;
        while (idlePolls < 2) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "compactions still running after " + SETTLE_TIMEOUT);
            }
            Thread.sleep(1000);
            List<?> running = (List<?>) server.getAttribute(manager, "Compactions");
            int waiting = ((Number) server.getAttribute(pending, "Value")).intValue();
            idlePolls = running.isEmpty() && waiting == 0 ? idlePolls + 1 : 0;
        }
    }

    /**
     * Bytes the node's finished compactions have read since it started, whole node (the
     * uncompressed size of each finished operation's input: Cassandra's {@code BytesCompacted},
     * which nodetool reports).
     */
    long bytesCompacted() throws Exception {
        return ((Number)
                        server.getAttribute(
                                new ObjectName(
                                        "org.apache.cassandra.metrics:type=Compaction,"
                                                + "name=BytesCompacted"),
                                "Count"))
                .longValue();
    }

    @Override
    public void close() throws IOException {
        connector.close();
    }
}
