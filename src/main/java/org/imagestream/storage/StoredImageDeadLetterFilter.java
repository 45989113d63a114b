package org.imagestream.storage;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.imagestream.model.DeadLetter;

/**
 * The last step before the dead-letter topic: drops a dead letter whose verdict can differ between
 * runs ({@code TOO_SLOW}, {@code MODEL_ERROR}, {@code REFERENCE_UNREADABLE}) when its image already
 * has a result row. Cassandra rows are written as soon as an image is classified, dead letters only
 * when a checkpoint commits their transaction; so after a failure between the two, a replay under
 * catch-up load (a cold JIT spends more CPU per image), or one that finds a referenced object
 * deleted since the first run read it, could dead-letter an image whose row the first run wrote,
 * and one input would end as both. Letters for other reasons are decided by the bytes alone and
 * pass unchecked, without a read.
 */
public class StoredImageDeadLetterFilter extends ProcessFunction<DeadLetter, DeadLetter> {
    private static final long serialVersionUID = 1L;

    /** Reasons that a replay may not reach again. */
    public static final Set<String> RUN_DEPENDENT_REASONS =
            Set.of("TOO_SLOW", "MODEL_ERROR", "REFERENCE_UNREADABLE");

    private final CassandraSettings settings;

    private transient CqlSession session;

    /** One lookup per keyspace the job writes to: a letter's image may be in any of them. */
    private transient java.util.List<PreparedStatement> findResult;

    private transient Counter superseded;

    public StoredImageDeadLetterFilter(CassandraSettings settings) {
        this.settings = settings;
    }

    @Override
    public void open(OpenContext openContext) {
        session = settings.openSession();
        findResult = new java.util.ArrayList<>();
        for (String keyspace : settings.keyspaces()) {
            findResult.add(
                    session.prepare(
                            "SELECT image_id FROM " + keyspace + ".results WHERE image_id = ?"));
        }
        superseded = getRuntimeContext().getMetricGroup().counter("deadLettersSupersededByResult");
    }

    @Override
    public void processElement(DeadLetter letter, Context context, Collector<DeadLetter> out) {
        if (RUN_DEPENDENT_REASONS.contains(letter.reason)
                && letter.imageId != null
                && findResult.stream()
                        .anyMatch(
                                find -> session.execute(find.bind(letter.imageId)).one() != null)) {
            // Rare (only these reasons read): a blocking read keeps the order and is cheap.
            superseded.inc();
            return;
        }
        out.collect(letter);
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            if (session != null) {
                session.close();
            }
        }
    }
}
