package org.imagestream.benchmarks;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import java.util.List;

/**
 * How far a benchmark job has got, asked of Cassandra by point reads of known image ids.
 *
 * <p>The harness used to poll {@code SELECT count(*)} on the results table, which reads every row:
 * at 12,000 rows one such query cost the local node 131 ms of CPU and the benchmark JVM 16 ms
 * (measured, docs/benchmarks.md, session 32), so polling once a second during a measured window
 * charged the job for several per cent of the machine that the per-record peer, which counts its
 * own records, never paid. A read of a few partitions by key costs a fraction of a millisecond
 * whatever the table holds. How many rows a window held is then counted once, after the job, from
 * the rows' write times ({@link #rowsWrittenBetween}).
 */
final class RowProgress {

    private final CqlSession session;
    private final String keyspace;
    private PreparedStatement stored;

    RowProgress(CqlSession session, String keyspace) {
        this.session = session;
        this.keyspace = keyspace;
    }

    /**
     * How many of {@code ids} have a result row; 0 until the job has created the table, and 0 when
     * one read times out on a node busy with the job. Any other error is the harness's and is
     * thrown.
     */
    int storedOf(List<String> ids) {
        if (stored == null) {
            try {
                stored =
                        session.prepare(
                                "SELECT image_id FROM "
                                        + keyspace
                                        + ".results WHERE image_id IN ?");
            } catch (InvalidQueryException tableNotThereYet) {
                return 0;
            }
        }
        try {
            return session.execute(stored.bind(ids)).all().size();
        } catch (DriverTimeoutException | ReadTimeoutException busy) {
            return 0;
        }
    }

    /**
     * All result rows so far, 0 until the job has created the table. Reads every row: for the end
     * of a run, not for polling.
     */
    long all() {
        try {
            return session.execute("SELECT count(*) FROM " + keyspace + ".results")
                    .one()
                    .getLong(0);
        } catch (RuntimeException notYet) {
            return 0;
        }
    }

    /**
     * Rows whose write time (microseconds since the epoch, as {@code writetime()} gives it) lies in
     * {@code [fromMicros, toMicros)}; {@code times} as {@link EndToEndBenchmark#rowTimes} returns
     * them, the write time first.
     */
    static long rowsWrittenBetween(List<long[]> times, long fromMicros, long toMicros) {
        long rows = 0;
        for (long[] row : times) {
            if (row[0] >= fromMicros && row[0] < toMicros) {
                rows++;
            }
        }
        return rows;
    }

    /** The wall clock in microseconds since the epoch, the unit of write times. */
    static long nowMicros() {
        return System.currentTimeMillis() * 1000;
    }
}
