package org.imagestream.ingest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exactly-once {@link KafkaSink} whose lost transactions cannot go unnoticed. The connector's
 * committer treats a transaction the broker has aborted or fenced (timed out, or another job with
 * the same transactional ids) as failed "for a known reason": it counts {@code
 * numCommittablesFailure} and the job runs on, its source offsets already past the records whose
 * output is gone. This sink wraps that committer: each such failure is counted in {@code
 * transactionsLost}, logged with its transactional id and, with {@code failOnLoss}, fails the job.
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
    private final boolean failOnLoss;

    public LossAwareKafkaSink(KafkaSink<IN> delegate, boolean failOnLoss) {
        this.delegate = delegate;
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
                context.metricGroup().counter("transactionsLost"),
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

    /** Observes how the wrapped committer settles each request. */
    static final class LossAwareCommitter<T> implements Committer<T> {
        private static final Logger LOG = LoggerFactory.getLogger(LossAwareCommitter.class);

        private final Committer<T> delegate;
        private final Counter lost;
        private final boolean failOnLoss;

        LossAwareCommitter(Committer<T> delegate, Counter lost, boolean failOnLoss) {
            this.delegate = delegate;
            this.lost = lost;
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
                if (request.failure != null) {
                    lost.inc();
                    failures.add(request.getCommittable() + ": " + request.failure);
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
