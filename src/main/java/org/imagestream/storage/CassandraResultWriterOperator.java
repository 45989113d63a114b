package org.imagestream.storage;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.imagestream.model.Classification;
import org.imagestream.model.DeadLetter;

/**
 * The job's Cassandra stage: stores classifications as {@link CassandraResultSink} does (same
 * writer, same guarantees: bounded asynchronous requests, everything in flight flushed before the
 * checkpoint barrier passes), and emits a {@link DeadLetter} with reason {@code STORAGE_REFUSED}
 * for each image Cassandra refuses because of its own values, so such an image has a per-record way
 * out instead of failing the job on every replay. The letters are emitted before the barrier, so
 * they belong to the same checkpoint as the writes they replace.
 */
public class CassandraResultWriterOperator extends AbstractStreamOperator<DeadLetter>
        implements OneInputStreamOperator<Classification, DeadLetter>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** Dead-letter reason of an image Cassandra refused. */
    public static final String STORAGE_REFUSED = "STORAGE_REFUSED";

    static final String STAGE = "store";

    private final CassandraSettings settings;

    private BlobOffload offload;

    private transient CassandraResultSinkWriter writer;

    public CassandraResultWriterOperator(CassandraSettings settings) {
        this.settings = settings;
    }

    /**
     * Stores blobs of the offload's size and larger in its object store (see {@link BlobOffload}).
     */
    public CassandraResultWriterOperator offloadBlobs(BlobOffload offload) {
        this.offload = offload;
        return this;
    }

    @Override
    public void open() throws Exception {
        super.open();
        // Same metric and label as the other stages' dead letters, so one query sums them all.
        Counter refusedLetters =
                getMetricGroup().addGroup("reason", STORAGE_REFUSED).counter("imagesDeadLettered");
        if (offload != null) {
            offload.checkAvailable();
        }
        writer =
                new CassandraResultSinkWriter(
                        settings,
                        offload,
                        getContainingTask()
                                .getMailboxExecutorFactory()
                                .createExecutor(getOperatorConfig().getChainIndex()),
                        getMetricGroup(),
                        (result, cause) -> {
                            refusedLetters.inc();
                            output.collect(new StreamRecord<>(deadLetter(result, cause)));
                        });
    }

    @Override
    public void processElement(StreamRecord<Classification> element) throws Exception {
        writer.write(element.getValue(), null);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        writer.flush(false);
    }

    @Override
    public void endInput() throws Exception {
        writer.flush(true);
    }

    @Override
    public void close() throws Exception {
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            super.close();
        }
    }

    /**
     * The dead letter of a refused image: its stored (for medical, de-identified) bytes and the
     * headers the job keeps; the origin from its image id ({@code
     * <topic>-<partition>-<offset>@<topic id>}, ingest.ImageIds).
     */
    static DeadLetter deadLetter(Classification result, Throwable cause) {
        DeadLetter letter = new DeadLetter();
        letter.reason = STORAGE_REFUSED;
        letter.stage = STAGE;
        letter.message =
                "Cassandra refused the image's writes: "
                        + cause.getClass().getSimpleName()
                        + ": "
                        + cause.getMessage();
        letter.imageId = result.imageId;
        String id = result.imageId == null ? "" : result.imageId;
        // The topic id after the last '@' (base64, which may hold '-'); topic names cannot hold
        // '@', so the position is what comes before it.
        int topicIdAt = id.lastIndexOf('@');
        String position = topicIdAt >= 0 ? id.substring(0, topicIdAt) : id;
        int offsetAt = position.lastIndexOf('-');
        int partitionAt = offsetAt > 0 ? position.lastIndexOf('-', offsetAt - 1) : -1;
        try {
            letter.topic = position.substring(0, partitionAt);
            letter.partition = Integer.parseInt(position.substring(partitionAt + 1, offsetAt));
            letter.offset = Long.parseLong(position.substring(offsetAt + 1));
        } catch (RuntimeException e) {
            // Not an id this job made: keep it whole, with no position.
            letter.topic = id;
            letter.partition = 0;
            letter.offset = 0;
        }
        // The wire's header names (ingest.ImageHeaders; stages meet only in the job).
        Map<String, String> headers = new HashMap<>();
        putIfSet(headers, "domain", result.domain);
        putIfSet(headers, "source-id", result.sourceId);
        putIfSet(headers, "content-type", result.contentType);
        letter.headers = headers;
        letter.bytes = result.bytes;
        return letter;
    }

    private static void putIfSet(Map<String, String> headers, String name, String value) {
        if (value != null) {
            headers.put(name, value);
        }
    }
}
