package org.imagestream.storage;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.imagestream.model.Classification;

/**
 * Sink V2 that stores each {@link Classification} as a result row plus its image as a chunked,
 * content-addressed blob. Writes are idempotent (deterministic keys, plain upserts), so replays
 * after a failure rewrite the same rows; {@code flush()} waits for every in-flight write, so a
 * completed checkpoint means everything before it is durable in Cassandra.
 */
public class CassandraResultSink implements Sink<Classification> {
    private static final long serialVersionUID = 1L;

    private final CassandraSettings settings;

    public CassandraResultSink(CassandraSettings settings) {
        this.settings = settings;
    }

    @Override
    public SinkWriter<Classification> createWriter(WriterInitContext context) {
        return new CassandraResultSinkWriter(
                settings, context.getMailboxExecutor(), context.metricGroup());
    }
}
