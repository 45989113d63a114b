package org.imagestream.storage;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.NoNodeAvailableException;
import com.datastax.oss.driver.api.core.connection.ClosedConnectionException;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.imagestream.model.Classification;
import org.imagestream.model.PartResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes classifications with bounded, asynchronous requests. Per image: every blob chunk, then
 * (once all chunks are stored) the blob metadata row, then its part rows (tiles, frames), then the
 * result row and its query-table row, so a metadata row always means a complete blob and a result
 * row always points at one and at all of its parts. A deduplicated copy's rows wait for its first
 * copy's blob when this writer stored it (and are refused with it); otherwise the copy reads the
 * blob's metadata row and stores the blob only when that row is not there.
 *
 * <p>Threading: all mutable fields are touched only on the task's mailbox thread; driver callbacks
 * hand their outcome back through the {@link MailboxExecutor} and never block. {@code write} yields
 * to the mailbox while the in-flight limit is reached (back-pressure), {@code flush} until nothing
 * is in flight. Retriable errors are retried with exponential backoff; the first failure that
 * survives the retries is kept and rethrown with context on the next write, flush or close, which
 * fails the checkpoint and restarts the job from the last one (every write is idempotent).
 *
 * <p>With a {@link Refusals} handler (the job's {@link CassandraResultWriterOperator}), a request
 * Cassandra refuses because of this record's own values ({@link #isRefusalOfRecord}: an invalid
 * request that is not about the schema, e.g. a mutation over the node's {@code max_mutation_size}
 * or a guardrail on value sizes) does not fail the job, which would refuse it again on every
 * replay: the image is handed to the handler, on the mailbox thread, to become a dead letter, and
 * its later statements are not sent. The {@code results} row is written last, after its listing
 * row, so a refused image never has one.
 */
class CassandraResultSinkWriter implements SinkWriter<Classification> {
    private static final Logger LOG = LoggerFactory.getLogger(CassandraResultSinkWriter.class);

    private final CassandraSettings settings;
    private final MailboxExecutor mailbox;
    private final CqlSession session;

    /** The prepared statements of each keyspace written to (one, or one per domain). */
    private final Map<String, ResultStatements> statementsByKeyspace = new HashMap<>();

    private final Counter resultsWritten;
    private final Counter bytesWritten;
    private final Counter retries;
    private final Counter refused;
    private final Histogram writeLatencyMillis;
    private final Histogram endToEndLatencyMillis;

    /**
     * Requests issued for images whose writes have not all completed; released together when an
     * image completes. Zero means nothing is in flight. Mailbox thread only.
     */
    private int inFlightRequests;

    private Throwable asyncError;

    /** Where records Cassandra refuses go, or null to fail the job on them. */
    private final Refusals refusals;

    /** Receives, on the mailbox thread, each image whose write Cassandra refused for good. */
    @FunctionalInterface
    interface Refusals {
        void refused(Classification result, Throwable cause);
    }

    /** Where large blobs go instead of chunks, or null to chunk every blob. */
    private final BlobOffload offload;

    /** How many blobs {@link #blobsStored} remembers: about 1 MiB of keys and futures. */
    static final int REMEMBERED_BLOBS = 4096;

    /** The outcome of a blob found complete in Cassandra. */
    private static final CompletableFuture<Void> STORED = CompletableFuture.completedFuture(null);

    /**
     * The blobs this writer stored or is storing, by keyspace and content address, most recently
     * used last: each one's outcome, which a later copy of the same image waits for and shares (a
     * copy of an image Cassandra refuses while its first copy's write is out is refused with it,
     * and never gets a row without a blob). A refused blob is forgotten once its refusal is back:
     * its exception holds the request and so the image's bytes, and a later copy stores the blob
     * again and is refused on its own. Mailbox thread only.
     */
    private final Map<String, CompletableFuture<Void>> blobsStored =
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(
                        Map.Entry<String, CompletableFuture<Void>> eldest) {
                    return size() > REMEMBERED_BLOBS;
                }
            };

    private final Counter blobsOffloaded;

    CassandraResultSinkWriter(
            CassandraSettings settings, MailboxExecutor mailbox, MetricGroup metrics) {
        this(settings, null, mailbox, metrics, null);
    }

    CassandraResultSinkWriter(
            CassandraSettings settings,
            BlobOffload offload,
            MailboxExecutor mailbox,
            MetricGroup metrics,
            Refusals refusals) {
        this.settings = settings;
        this.offload = offload;
        this.mailbox = mailbox;
        this.refusals = refusals;
        this.session = settings.openSession();
        try {
            // An incompatible table would refuse every write of every replay: fail at start,
            // naming the table and column, before anything is written.
            CassandraSchema.verify(session, settings, settings.domains());
            for (String keyspace : settings.keyspaces()) {
                statementsByKeyspace.put(keyspace, new ResultStatements(session, keyspace));
            }
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        this.resultsWritten = metrics.counter("cassandraResultsWritten");
        this.bytesWritten = metrics.counter("cassandraBlobBytesWritten");
        this.blobsOffloaded = metrics.counter("blobsOffloaded");
        this.retries = metrics.counter("cassandraRetries");
        this.refused = metrics.counter("cassandraWritesRefused");
        this.writeLatencyMillis =
                metrics.histogram(
                        "cassandraWriteLatencyMs", new DescriptiveStatisticsHistogram(1024));
        // Kafka record timestamp to the moment the result row is stored.
        this.endToEndLatencyMillis =
                metrics.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1024));
        metrics.gauge("cassandraInFlightRequests", () -> inFlightRequests);
    }

    /**
     * Starts storing one image. Its chunks are handed to the driver as views of {@code
     * result.bytes}, which the driver encodes on its own threads later: the caller must not change
     * those bytes afterwards. The job never does: records are new objects after every shuffle, and
     * no operator changes a record it has emitted (what makes {@code job.object-reuse} safe).
     */
    @Override
    public void write(Classification result, Context context)
            throws IOException, InterruptedException {
        checkAsyncError();
        String keyspace = settings.keyspaceOf(result.domain);
        ResultStatements statements = statementsByKeyspace.get(keyspace);
        if (statements == null) {
            // The job stores only the domains it has models for; anything else is a wiring bug.
            throw new IllegalStateException(
                    "no Cassandra keyspace configured for domain " + result.domain);
        }
        // A deduplicated image's first copy (same content address) went to the same classify
        // subtask, and so to this writer, chained to it with the same parallelism. If this writer
        // stored or is storing its blob, the copy's rows wait for that and share its outcome.
        // Otherwise (stored before a restart, or forgotten) one read of its metadata row, written
        // after all chunks, tells whether the blob was stored; only if not (refused, expired,
        // erased) does the copy store it again, refused exactly when the first copy's was. So a
        // row never points at a blob Cassandra refused, and a copy never rewrites one it has.
        // Per keyspace: with a keyspace per domain a copy in another domain stores its own.
        String blobKey = keyspace + "/" + result.contentSha256;
        CompletableFuture<Void> firstCopysBlob =
                result.deduplicated ? blobsStored.get(blobKey) : null;
        if (result.deduplicated && firstCopysBlob == null && isStored(statements, result)) {
            firstCopysBlob = STORED;
            blobsStored.put(blobKey, STORED);
        }
        boolean storeBlob = firstCopysBlob == null;
        // A large blob goes to the object store first (blocking, idempotent): its metadata row,
        // written below once the object is complete, holds the location instead of chunks.
        String location = null;
        long blobSize = result.streamedLocation != null ? result.streamedSize : result.bytes.length;
        if (storeBlob && result.streamedLocation != null) {
            // A streamed scene (only with an offload store, see PrepareFunction): copied from
            // its reference, never through the heap.
            if (offload == null) {
                throw new IllegalStateException(
                        "streamed scene " + result.imageId + " without storage.offload-uri");
            }
            location =
                    offload.storeFrom(
                            result.contentSha256, result.streamedLocation, result.streamedSize);
            blobsOffloaded.inc();
        } else if (storeBlob && offload != null && offload.applies(result.bytes.length)) {
            location = offload.store(result.contentSha256, result.bytes);
            blobsOffloaded.inc();
        }
        int chunks =
                storeBlob && location == null
                        ? chunkCount(result.bytes.length, settings.chunkSize())
                        : 0;
        // Blob metadata, parts, listing and result rows; a possible replay reads its stored row
        // and may delete a stale listing row.
        int tailRequests = (storeBlob ? 3 : 2) + result.parts.size() + (result.mayBeReplay ? 2 : 0);
        // Back-pressure: never exceed the in-flight budget; yielding lets completions run.
        while (inFlightRequests + chunks + tailRequests > settings.maxInFlightRequests()
                && inFlightRequests > 0) {
            mailbox.yield();
            checkAsyncError();
        }
        long started = System.nanoTime();
        int ttl = settings.ttlSeconds(result.domain);
        int blobTtl = settings.blobTtlSeconds(result.domain);
        inFlightRequests += chunks + tailRequests;
        List<CompletableFuture<AsyncResultSet>> chunkWrites = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            int from = i * settings.chunkSize();
            int to = Math.min(result.bytes.length, from + settings.chunkSize());
            // A view, not a copy: the driver encodes it later (and again on a retry), so the
            // image's bytes must not change until it is stored (see write).
            ByteBuffer data = ByteBuffer.wrap(result.bytes, from, to - from).slice();
            // One mail per image (below), not per chunk: fewer hand-offs to the task thread.
            chunkWrites.add(
                    executeWithRetry(statements.chunk(result.contentSha256, i, data, blobTtl), 0)
                            .toCompletableFuture());
        }
        BoundStatement blob =
                statements.blob(
                        result.contentSha256,
                        blobSize,
                        settings.chunkSize(),
                        chunks,
                        result.contentType,
                        location,
                        blobTtl);
        List<BoundStatement> parts = new ArrayList<>(result.parts.size());
        for (PartResult part : result.parts) {
            parts.add(statements.part(result, part, ttl));
        }
        BoundStatement row = statements.result(result, ttl);
        BoundStatement byLabel = statements.byLabel(result, ttl);
        // Bytes written to Cassandra: an offloaded blob's went to the object store.
        long bytes = storeBlob && location == null ? result.bytes.length : 0;
        String imageId = result.imageId;
        long receivedAt = result.receivedAtMillis;
        CompletableFuture<Void> blobStored;
        if (storeBlob) {
            blobStored =
                    CompletableFuture.allOf(chunkWrites.toArray(new CompletableFuture[0]))
                            .thenCompose(ignored -> executeWithRetry(blob, 0))
                            .thenApply(ignored -> null);
            blobsStored.put(blobKey, blobStored);
            CompletableFuture<Void> stored = blobStored;
            blobStored.whenComplete(
                    (ignored, error) -> {
                        if (error != null) {
                            mailbox.execute(
                                    () -> blobsStored.remove(blobKey, stored), "forget a blob");
                        }
                    });
        } else {
            blobStored = firstCopysBlob;
        }
        blobStored
                .thenCompose(
                        ignored ->
                                CompletableFuture.allOf(
                                        parts.stream()
                                                .map(
                                                        part ->
                                                                executeWithRetry(part, 0)
                                                                        .toCompletableFuture())
                                                .toArray(CompletableFuture[]::new)))
                // A replay whose top label changed (the model rolled forward) moves the listing
                // row: the old one is removed before the new one is written.
                .thenCompose(
                        ignored ->
                                result.mayBeReplay
                                        ? removeStaleListing(statements, result)
                                        : CompletableFuture.completedFuture(null))
                // The listing row, then the result row: the result row is the last write of an
                // image, so a refused image never has one.
                .thenCompose(ignored -> executeWithRetry(byLabel, 0))
                .thenCompose(ignored -> executeWithRetry(row, 0))
                .whenComplete(
                        (ignored, error) ->
                                mailbox.execute(
                                        () -> {
                                            inFlightRequests -= chunks + tailRequests;
                                            if (error != null
                                                    && refusals != null
                                                    && isRefusalOfRecord(unwrap(error))) {
                                                refused.inc();
                                                refusals.refused(result, unwrap(error));
                                            } else if (error != null) {
                                                if (asyncError == null) {
                                                    asyncError =
                                                            new IOException(
                                                                    "Failed to store image "
                                                                            + imageId
                                                                            + " in Cassandra keyspace "
                                                                            + keyspace
                                                                            + " after "
                                                                            + settings.maxRetries()
                                                                            + " retries",
                                                                    unwrap(error));
                                                }
                                            } else {
                                                resultsWritten.inc();
                                                bytesWritten.inc(bytes);
                                                writeLatencyMillis.update(
                                                        TimeUnit.NANOSECONDS.toMillis(
                                                                System.nanoTime() - started));
                                                if (receivedAt > 0) {
                                                    // Kafka record timestamp to stored row (the
                                                    // producer's clock: skew shows up here).
                                                    endToEndLatencyMillis.update(
                                                            Math.max(
                                                                    0,
                                                                    System.currentTimeMillis()
                                                                            - receivedAt));
                                                }
                                            }
                                        },
                                        "image stored"));
    }

    /**
     * Whether a copy's blob is complete in Cassandra: its metadata row is there (one read by key,
     * on the task thread, retried as writes are). Only for copies this writer knows nothing of.
     */
    private boolean isStored(ResultStatements statements, Classification copy)
            throws IOException, InterruptedException {
        try {
            return executeWithRetry(statements.storedBlob(copy.contentSha256), 0)
                            .toCompletableFuture()
                            .get()
                            .one()
                    != null;
        } catch (ExecutionException e) {
            throw new IOException(
                    "Failed to look up the blob of image " + copy.imageId + " in Cassandra",
                    unwrap(e.getCause()));
        }
    }

    /**
     * For an image the failed run may have stored: reads its row's top label (one read by key) and,
     * when the new classification's differs, deletes the listing row under the old label.
     */
    private CompletionStage<?> removeStaleListing(
            ResultStatements statements, Classification result) {
        return executeWithRetry(statements.storedListingKey(result.imageId), 0)
                .thenCompose(
                        stored -> {
                            var row = stored.one();
                            if (row == null
                                    || row.getString("top_label") == null
                                    || row.getInstant("received_at") == null
                                    || row.getString("top_label").equals(result.topLabel())) {
                                return CompletableFuture.completedFuture(null);
                            }
                            return executeWithRetry(
                                    statements.deleteListing(
                                            result.domain,
                                            row.getString("top_label"),
                                            row.getInstant("received_at"),
                                            result.imageId),
                                    0);
                        });
    }

    /**
     * Executes with exponential backoff on errors that a retry can fix (timeouts, unavailable
     * replicas, overloaded or unreachable nodes). All writes here are idempotent upserts, so a
     * retry after an ambiguous timeout is safe. Runs entirely on driver and timer threads.
     */
    private CompletionStage<AsyncResultSet> executeWithRetry(
            BoundStatement statement, int attempt) {
        return session.executeAsync(statement.setIdempotent(true))
                .handle(
                        (rs, error) -> {
                            if (error == null) {
                                return CompletableFuture.completedFuture(rs);
                            }
                            Throwable cause = unwrap(error);
                            if (attempt < settings.maxRetries() && isRetriable(cause)) {
                                long backoffMillis = Math.min(5_000, 200L << attempt);
                                LOG.warn(
                                        "Retrying Cassandra write in {} ms after {}",
                                        backoffMillis,
                                        cause.toString());
                                mailbox.execute(retries::inc, "count retry");
                                return CompletableFuture.supplyAsync(
                                                () -> null,
                                                CompletableFuture.delayedExecutor(
                                                        backoffMillis, TimeUnit.MILLISECONDS))
                                        .thenCompose(
                                                ignored ->
                                                        executeWithRetry(statement, attempt + 1));
                            }
                            return CompletableFuture.<AsyncResultSet>failedFuture(cause);
                        })
                .thenCompose(stage -> stage);
    }

    /**
     * A refusal of this record's own values, which no retry or replay can change: an invalid
     * request (Cassandra's guardrails, value and key size limits) that is not about the schema.
     * Schema errors (a table or column gone since the writer checked it) and authorisation errors
     * concern every record and fail the job instead of dead-lettering the stream.
     */
    static boolean isRefusalOfRecord(Throwable error) {
        if (!(error instanceof InvalidQueryException)) {
            return false;
        }
        String message = String.valueOf(error.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return !(message.contains("unconfigured table")
                || message.contains("undefined column")
                || message.contains("does not exist")
                || message.contains("unknown identifier"));
    }

    static boolean isRetriable(Throwable error) {
        return error instanceof WriteTimeoutException
                || error instanceof ReadTimeoutException
                || error instanceof UnavailableException
                || error instanceof OverloadedException
                || error instanceof DriverTimeoutException
                || error instanceof NoNodeAvailableException
                || error instanceof AllNodesFailedException
                || error instanceof ClosedConnectionException;
    }

    private static Throwable unwrap(Throwable error) {
        while (error instanceof CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    static int chunkCount(int size, int chunkSize) {
        return Math.max(1, (size + chunkSize - 1) / chunkSize);
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        while (inFlightRequests > 0) {
            mailbox.yield();
        }
        checkAsyncError();
    }

    private void checkAsyncError() throws IOException {
        if (asyncError != null) {
            Throwable error = asyncError;
            throw error instanceof IOException io ? io : new IOException(error);
        }
    }

    @Override
    public void close() throws Exception {
        // In-flight writes are abandoned on purpose: close() without a successful flush() means
        // the checkpoint did not complete, so these records will be replayed.
        session.close();
    }
}
