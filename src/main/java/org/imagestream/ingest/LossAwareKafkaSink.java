package org.imagestream.ingest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exactly-once {@link KafkaSink} whose lost transactions cannot go unnoticed. The connector's
 * committer treats a transaction the broker has aborted or fenced (timed out, or another job with
 * the same transactional ids) as failed "for a known reason": it counts {@code
 * numCommittablesFailure} and the job runs on, its source offsets already past the records whose
 * output is gone. The same "producer fenced" failure also comes, harmlessly, from re-committing
 * after a restore a transaction that was committed before the failure (brokers with transaction
 * version 2 bump the epoch at every commit). So this sink wraps that committer and asks the
 * transaction coordinator about each failed transaction ({@code describeTransactions}; ids are
 * unique per checkpoint, so its last state is this transaction's): committed, it is ignored;
 * aborted, it is lost: counted in {@code transactionsLost}, logged with its id and, with {@code
 * failOnLoss}, the job fails; anything else is counted in {@code transactionsUnverified} and
 * logged.
 *
 * <p>Failing does not bring the records back by itself: the checkpoint the job restores holds the
 * same lost transaction, so it fails again on every restart, loudly, until an operator either
 * restores an earlier retained checkpoint (whose replay writes the records again) or accepts the
 * loss by turning {@code failOnLoss} off. Everything else is the Kafka sink's own behaviour.
 */
public final class LossAwareKafkaSink<IN>
        implements TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable>,
                SupportsPostCommitTopology<KafkaCommittable> {
    private static final long serialVersionUID = 1L;

    private final KafkaSink<IN> delegate;
    private final Properties client;
    private final boolean failOnLoss;

    /**
     * @param client Kafka client properties (bootstrap servers, TLS, SASL) for asking the
     *     transaction coordinator about failed transactions
     */
    public LossAwareKafkaSink(KafkaSink<IN> delegate, Properties client, boolean failOnLoss) {
        this.delegate = delegate;
        this.client = new Properties();
        this.client.putAll(client);
        this.failOnLoss = failOnLoss;
    }

    private TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable> sink() {
        return delegate;
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(
            WriterInitContext context) throws IOException {
        return sink().createWriter(context);
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState)
            throws IOException {
        return sink().restoreWriter(context, recoveredState);
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return delegate.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context)
            throws IOException {
        return new LossAwareCommitter<>(
                delegate.createCommitter(context),
                KafkaCommittable::getTransactionalId,
                new CoordinatorStates(client),
                context.metricGroup().counter("transactionsLost"),
                context.metricGroup().counter("transactionsUnverified"),
                failOnLoss);
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return delegate.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committed) {
        delegate.addPostCommitTopology(committed);
    }

    /** The state the transaction coordinator reports for a transactional id. */
    @FunctionalInterface
    interface TransactionStates {
        /** E.g. {@code COMPLETE_COMMIT}, {@code COMPLETE_ABORT}; null when it cannot be told. */
        String stateOf(String transactionalId);
    }

    /** Asks the broker with an admin client opened per question (failures are rare). */
    static final class CoordinatorStates implements TransactionStates {
        private final Properties client;

        CoordinatorStates(Properties client) {
            this.client = client;
        }

        @Override
        public String stateOf(String transactionalId) {
            Properties properties = new Properties();
            properties.putAll(client);
            try (Admin admin = Admin.create(properties)) {
                return admin.describeTransactions(List.of(transactionalId))
                        .description(transactionalId)
                        .get(60, TimeUnit.SECONDS)
                        .state()
                        .name();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                LossAwareCommitter.LOG.warn(
                        "Cannot ask the coordinator about transaction {}: {}",
                        transactionalId,
                        e.toString());
                return null;
            }
        }
    }

    /** Observes how the wrapped committer settles each request. */
    static final class LossAwareCommitter<T> implements Committer<T> {
        private static final Logger LOG = LoggerFactory.getLogger(LossAwareCommitter.class);

        private final Committer<T> delegate;
        private final java.util.function.Function<T, String> transactionalId;
        private final TransactionStates states;
        private final Counter lost;
        private final Counter unverified;
        private final boolean failOnLoss;

        LossAwareCommitter(
                Committer<T> delegate,
                java.util.function.Function<T, String> transactionalId,
                TransactionStates states,
                Counter lost,
                Counter unverified,
                boolean failOnLoss) {
            this.delegate = delegate;
            this.transactionalId = transactionalId;
            this.states = states;
            this.lost = lost;
            this.unverified = unverified;
            this.failOnLoss = failOnLoss;
        }

        @Override
        public void commit(Collection<CommitRequest<T>> requests)
                throws IOException, InterruptedException {
            List<ObservedRequest<T>> observed = new ArrayList<>(requests.size());
            for (CommitRequest<T> request : requests) {
                observed.add(new ObservedRequest<>(request));
            }
            delegate.commit(new ArrayList<>(observed));
            List<String> failures = new ArrayList<>();
            for (ObservedRequest<T> request : observed) {
                if (request.failure == null) {
                    continue;
                }
                String id = transactionalId.apply(request.getCommittable());
                String state = states.stateOf(id);
                if ("COMPLETE_COMMIT".equals(state) || "PREPARE_COMMIT".equals(state)) {
                    LOG.info(
                            "Transaction {} was already committed (re-commit after a restore: {})",
                            id,
                            request.failure.toString());
                } else if ("COMPLETE_ABORT".equals(state)
                        || "PREPARE_ABORT".equals(state)
                        || "PREPARE_EPOCH_FENCE".equals(state)) {
                    lost.inc();
                    failures.add(id + " (" + state + "): " + request.failure);
                } else {
                    unverified.inc();
                    LOG.warn(
                            "Transaction {} failed to commit and its fate is unknown (coordinator"
                                    + " state {}): its records may be lost: {}",
                            id,
                            state,
                            request.failure.toString());
                }
            }
            if (failures.isEmpty()) {
                return;
            }
            String message =
                    "Kafka transaction(s) could not be committed and their records are lost: "
                            + failures
                            + ". Usual causes: the transaction outlived transaction.timeout.ms"
                            + " (the job was down or restored later than that), or another job"
                            + " uses the same transactional-id prefix. Restore an earlier retained"
                            + " checkpoint to write them again, or accept the loss by disabling"
                            + " the fail-on-loss option.";
            LOG.error(message);
            if (failOnLoss) {
                throw new IOException(message);
            }
        }

        @Override
        public void close() throws Exception {
            delegate.close();
        }
    }

    /** A commit request that remembers a failure signalled on it, and passes everything on. */
    static final class ObservedRequest<T> implements Committer.CommitRequest<T> {
        private final Committer.CommitRequest<T> delegate;
        private Throwable failure;

        ObservedRequest(Committer.CommitRequest<T> delegate) {
            this.delegate = delegate;
        }

        @Override
        public T getCommittable() {
            return delegate.getCommittable();
        }

        @Override
        public int getNumberOfRetries() {
            return delegate.getNumberOfRetries();
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            failure = t;
            delegate.signalFailedWithKnownReason(t);
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            failure = t;
            delegate.signalFailedWithUnknownReason(t);
        }

        @Override
        public void retryLater() {
            delegate.retryLater();
        }

        @Override
        public void updateAndRetryLater(T committable) {
            delegate.updateAndRetryLater(committable);
        }

        @Override
        public void signalAlreadyCommitted() {
            delegate.signalAlreadyCommitted();
        }
    }
}
