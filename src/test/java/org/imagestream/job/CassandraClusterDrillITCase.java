package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.metadata.NodeState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.FileUtils;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.imagestream.config.JobConfig;
import org.imagestream.localstack.CassandraServer;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.localstack.Ports;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.testing.PacedProducer;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Beyond one node: a 3-node Cassandra cluster on 127.0.0.1-127.0.0.3, the keyspace at replication
 * factor 3, the job writing and the test reading at QUORUM. One node gets {@code kill -9}
 * mid-stream and stays down. The job must keep running (no restart strategy: any failure fails the
 * test), lose nothing and duplicate nothing, and every blob must read back byte-exact from the two
 * survivors.
 *
 * <p>Slow (three Cassandra JVMs start one after another): runs with {@code mvn verify -Pdrills}.
 */
@ExtendWith(LocalStackExtension.class)
class CassandraClusterDrillITCase {
    private static final int IMAGES = 600;

    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldKeepRunningAndLoseNothingWhenOneOfThreeReplicasIsKilled(LocalStack stack)
            throws Exception {
        Path work =
                Path.of(
                                System.getProperty("imagestream.work.dir", "target/it-work"),
                                "cassandra-cluster")
                        .toAbsolutePath();
        FileUtils.deleteDirectory(work.toFile());
        Path lib = LocalStack.libRoot().resolve("cassandra/lib");
        int nativePort = Ports.free();
        int storagePort = Ports.free();
        List<CassandraServer> nodes = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                nodes.add(
                        CassandraServer.startNode(
                                lib,
                                work.resolve("node" + i),
                                new CassandraServer.Node(
                                        "127.0.0." + i, nativePort, storagePort, "127.0.0.1", 3),
                                "512m"));
            }
            drill(stack, nodes);
        } finally {
            nodes.forEach(CassandraServer::close);
        }
    }

    private static void drill(LocalStack stack, List<CassandraServer> nodes) throws Exception {
        List<String> contactPoints = nodes.stream().map(CassandraServer::contactPoint).toList();
        TestStreams streams = TestStreams.create(stack, "replicas");
        CassandraSettings settings =
                CassandraSettings.builder()
                        .contactPoints(contactPoints)
                        .keyspace(streams.keyspace())
                        .replicationFactor(3)
                        .consistency("QUORUM")
                        .build();
        // A node that has just started is gossiped to the others (and so to the driver's control
        // connection) a moment later: wait until all three are known and up.
        long deadline = System.currentTimeMillis() + 60_000;
        long up = 0;
        while (up < 3 && System.currentTimeMillis() < deadline) {
            try (CqlSession session = settings.openSession()) {
                up =
                        session.getMetadata().getNodes().values().stream()
                                .filter(node -> node.getState() == NodeState.UP)
                                .count();
            }
            if (up < 3) {
                Thread.sleep(1000);
            }
        }
        assertThat(up).as("ring members up").isEqualTo(3);
        Map<String, String> options =
                LocalJobOptions.of(
                        stack.bootstrapServers(),
                        String.join(";", contactPoints),
                        streams.topic(),
                        streams.deadLetterTopic(),
                        streams.keyspace(),
                        ModelStoreAccess.seedModels());
        options.put("cassandra.replication-factor", "3");
        options.put("cassandra.consistency", "QUORUM");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        JobClient job = env.executeAsync("cassandra-replicas-it");
        try (PacedProducer producer =
                PacedProducer.start(
                        stack.bootstrapServers(), streams.topic(), IMAGES, 15, 10, 59)) {
            PipelineOutcomes.waitForResults(settings, 100, 180_000);
            nodes.get(2).kill();
            assertThat(nodes.get(2).isAlive()).isFalse();
            producer.await(180_000);
            assertThat(producer.good().size() + producer.malformed().size()).isEqualTo(IMAGES);
            // Read at QUORUM from the two survivors.
            PipelineOutcomes.assertExactOutcome(
                    settings,
                    stack.bootstrapServers(),
                    streams.deadLetterTopic(),
                    producer,
                    true,
                    300_000);
            assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            job.cancel().get();
        }
    }
}
