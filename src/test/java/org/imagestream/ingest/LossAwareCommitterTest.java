package org.imagestream.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.metrics.SimpleCounter;
import org.junit.jupiter.api.Test;

class LossAwareCommitterTest {
    @Test
    void shouldFailTheJobAndCountWhenATransactionIsLost() {
        SimpleCounter lost = new SimpleCounter();
        SimpleCounter unverified = new SimpleCounter();
        List<Request> requests = List.of(new Request("tx-1"), new Request("tx-2"));
        var committer =
                new LossAwareKafkaSink.LossAwareCommitter<>(
                        new FencesOne("tx-2"),
                        id -> id,
                        id -> "COMPLETE_ABORT",
                        lost,
                        unverified,
                        true);

        assertThatThrownBy(() -> committer.commit(new ArrayList<>(requests)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("tx-2")
                .hasMessageNotContaining("tx-1");
        assertThat(lost.getCount()).isEqualTo(1);
        // The connector's own bookkeeping still sees every outcome.
        assertThat(requests.get(0).outcome).isEqualTo("committed");
        assertThat(requests.get(1).outcome).isEqualTo("failed");
    }

    @Test
    void shouldOnlyCountWhenTheSiteAcceptsTheLoss() throws Exception {
        SimpleCounter lost = new SimpleCounter();
        SimpleCounter unverified = new SimpleCounter();
        var committer =
                new LossAwareKafkaSink.LossAwareCommitter<>(
                        new FencesOne("tx-1"),
                        id -> id,
                        id -> "COMPLETE_ABORT",
                        lost,
                        unverified,
                        false);
        assertThatCode(() -> committer.commit(new ArrayList<>(List.of(new Request("tx-1")))))
                .doesNotThrowAnyException();
        committer.commit(new ArrayList<>(List.of(new Request("tx-3"))));
        assertThat(lost.getCount()).isEqualTo(1);
    }

    @Test
    void shouldNotCountRetriesAsLosses() throws Exception {
        SimpleCounter lost = new SimpleCounter();
        SimpleCounter unverified = new SimpleCounter();
        Committer<String> retries =
                new Committer<>() {
                    @Override
                    public void commit(java.util.Collection<CommitRequest<String>> requests) {
                        requests.forEach(CommitRequest::retryLater);
                    }

                    @Override
                    public void close() {}
                };
        var committer =
                new LossAwareKafkaSink.LossAwareCommitter<>(
                        retries, id -> id, id -> "COMPLETE_ABORT", lost, unverified, true);
        Request request = new Request("tx-4");
        committer.commit(new ArrayList<>(List.of(request)));
        assertThat(lost.getCount()).isZero();
        assertThat(request.outcome).isEqualTo("retry");
    }

    /**
     * After a restore, the connector re-commits the restored checkpoint's transactions, which may
     * have been committed before the failure; the broker then answers "fenced" too. The coordinator
     * says the transaction committed: no loss, no failure.
     */
    @Test
    void shouldIgnoreAFencedReCommitOfATransactionTheCoordinatorSaysCommitted() throws Exception {
        SimpleCounter lost = new SimpleCounter();
        SimpleCounter unverified = new SimpleCounter();
        var committer =
                new LossAwareKafkaSink.LossAwareCommitter<>(
                        new FencesOne("tx-5"),
                        id -> id,
                        id -> "COMPLETE_COMMIT",
                        lost,
                        unverified,
                        true);
        committer.commit(new ArrayList<>(List.of(new Request("tx-5"))));
        assertThat(lost.getCount()).isZero();
        assertThat(unverified.getCount()).isZero();
    }

    @Test
    void shouldCountButNotFailWhenTheCoordinatorCannotTell() throws Exception {
        SimpleCounter lost = new SimpleCounter();
        SimpleCounter unverified = new SimpleCounter();
        var committer =
                new LossAwareKafkaSink.LossAwareCommitter<>(
                        new FencesOne("tx-6"), id -> id, id -> null, lost, unverified, true);
        committer.commit(new ArrayList<>(List.of(new Request("tx-6"))));
        assertThat(lost.getCount()).isZero();
        assertThat(unverified.getCount()).isEqualTo(1);
    }

    /** Like the Kafka committer on an aborted transaction: a failure with a known reason. */
    private record FencesOne(String transaction) implements Committer<String> {
        @Override
        public void commit(java.util.Collection<CommitRequest<String>> requests) {
            for (CommitRequest<String> request : requests) {
                if (request.getCommittable().equals(transaction)) {
                    request.signalFailedWithKnownReason(
                            new IllegalStateException("producer fenced"));
                } else {
                    request.signalAlreadyCommitted();
                }
            }
        }

        @Override
        public void close() {}
    }

    private static final class Request implements Committer.CommitRequest<String> {
        private final String committable;
        String outcome = "pending";

        Request(String committable) {
            this.committable = committable;
        }

        @Override
        public String getCommittable() {
            return committable;
        }

        @Override
        public int getNumberOfRetries() {
            return 0;
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            outcome = "failed";
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            outcome = "failed";
        }

        @Override
        public void retryLater() {
            outcome = "retry";
        }

        @Override
        public void updateAndRetryLater(String committable) {
            outcome = "retry";
        }

        @Override
        public void signalAlreadyCommitted() {
            outcome = "committed";
        }
    }
}
