package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.imagestream.config.JobConfig;
import org.imagestream.inference.ModelSpec;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.model.Domain;
import org.imagestream.samples.GeoTiffWriter;
import org.imagestream.samples.SyntheticScenes;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.StoredResult;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.RecordIds;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.imagestream.training.ModelStoreAccess;
import org.imagestream.training.ModelVersions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images classified in parts, end to end: GeoTIFF scenes larger than the model input are tiled (one
 * {@code result_parts} row per tile with its map bounds, the result row holding the share of tiles
 * per label), every frame of a real multi-frame DICOM is classified ({@code frame: all}), and a
 * scene of more tiles than {@code limits.max-parts} is dead-lettered as {@code TOO_LARGE}.
 */
@ExtendWith(LocalStackExtension.class)
class ImagePartsITCase {
    @RegisterExtension static final MiniClusterExtension FLINK = TestFlink.withoutRestarts(2);

    @Test
    void shouldStoreEveryTileAndFrameAsAPartOfItsImage(LocalStack stack, @TempDir Path models)
            throws Exception {
        TestStreams streams = TestStreams.create(stack, "parts");
        String topic = streams.topic();
        Map<Domain, ModelSpec> seeds = ModelStoreAccess.seedModels();
        Map<Domain, ModelSpec> specs = new HashMap<>(seeds);
        specs.put(
                Domain.REMOTE_SENSING,
                ModelVersions.withSetting(
                        seeds.get(Domain.REMOTE_SENSING), models.resolve("rs"), "tiling", "tile"));
        specs.put(
                Domain.MEDICAL,
                ModelVersions.withSetting(
                        seeds.get(Domain.MEDICAL), models.resolve("med"), "frame", "all"));

        int bands = seeds.get(Domain.REMOTE_SENSING).channels();
        byte[] scene = scene(128, 64, bands); // 4x2 tiles of 32x32
        byte[] gdalScene = resource("/geotiff/s2-13band-uint16-tiled-lzw.tif"); // 72x56: 3x2
        byte[] tooManyTiles = scene(256, 160, bands); // 8x5 = 40 > limits.max-parts
        byte[] rtdose = resource("/dicom/rtdose.dcm"); // 15 frames
        byte[] singleFrame = resource("/dicom/MR_small.dcm");
        String sceneId;
        String gdalId;
        String tooManyId;
        String rtdoseId;
        String singleFrameId;
        try (ImagePublisher publisher =
                ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
            sceneId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "remote-sensing",
                                            "scene.tif",
                                            "image/tiff",
                                            scene)
                                    .get());
            gdalId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "remote-sensing",
                                            "gdal.tif",
                                            "image/tiff",
                                            gdalScene)
                                    .get());
            tooManyId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "remote-sensing",
                                            "big.tif",
                                            "image/tiff",
                                            tooManyTiles)
                                    .get());
            rtdoseId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "medical",
                                            "rtdose.dcm",
                                            "application/dicom",
                                            rtdose)
                                    .get());
            singleFrameId =
                    idOf(
                            publisher,
                            publisher
                                    .publish(
                                            topic,
                                            "medical",
                                            "mr.dcm",
                                            "application/dicom",
                                            singleFrame)
                                    .get());
        }

        Map<String, String> options =
                LocalJobOptions.of(
                        stack, topic, streams.deadLetterTopic(), streams.keyspace(), specs);
        options.put("kafka.bounded", "true");
        options.put("limits.max-parts", "32");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        ImageClassificationJob.build(env, JobConfig.fromMap(options));
        env.execute("parts-it");

        try (CqlSession session = streams.settings().openSession()) {
            ResultReader reader = new ResultReader(session, streams.keyspace());
            assertThat(reader.all())
                    .extracting(StoredResult::imageId)
                    .containsExactlyInAnyOrder(sceneId, gdalId, rtdoseId, singleFrameId);

            assertTiles(reader, sceneId, 8, "4x2");
            assertTiles(reader, gdalId, 6, "3x2");

            StoredResult dose = reader.find(rtdoseId).orElseThrow();
            assertThat(dose.extras()).containsEntry("parts", "15").containsEntry("frames", "15");
            List<ResultReader.StoredPart> frames = reader.parts(rtdoseId);
            assertThat(frames).hasSize(15);
            for (int i = 0; i < 15; i++) {
                assertThat(frames.get(i).part()).isEqualTo(i);
                assertThat(frames.get(i).extras()).containsEntry("frame", Integer.toString(i + 1));
            }
            assertShares(dose, frames);

            StoredResult mr = reader.find(singleFrameId).orElseThrow();
            assertThat(mr.extras()).doesNotContainKey("parts");
            assertThat(reader.parts(singleFrameId)).isEmpty();
        }
        Map<String, String> reasons =
                PipelineOutcomes.deadLetterReasons(
                        stack.bootstrapServers(), streams.deadLetterTopic(), 1);
        assertThat(reasons).containsExactly(Map.entry(tooManyId, "TOO_LARGE"));
    }

    private static void assertTiles(ResultReader reader, String imageId, int tiles, String grid) {
        StoredResult result = reader.find(imageId).orElseThrow();
        assertThat(result.extras())
                .containsEntry("parts", Integer.toString(tiles))
                .containsEntry("tiles", grid)
                .containsKeys("crs", "bounds");
        List<ResultReader.StoredPart> parts = reader.parts(imageId);
        assertThat(parts).hasSize(tiles);
        for (ResultReader.StoredPart part : parts) {
            assertThat(part.extras()).containsKeys("x", "y", "width", "height", "bounds");
            assertThat(part.labels()).isNotEmpty();
        }
        assertShares(result, parts);
    }

    /** The result's labels are the parts' top labels, each with its share of the parts. */
    private static void assertShares(StoredResult result, List<ResultReader.StoredPart> parts) {
        Map<String, Integer> counts = new HashMap<>();
        parts.forEach(part -> counts.merge(part.labels().get(0), 1, Integer::sum));
        assertThat(result.labels()).containsExactlyInAnyOrderElementsOf(counts.keySet());
        for (int i = 0; i < result.labels().size(); i++) {
            assertThat(result.scores().get(i))
                    .isEqualTo(counts.get(result.labels().get(i)) / (float) parts.size());
        }
        assertThat(result.topLabel()).isEqualTo(result.labels().get(0));
    }

    private static byte[] scene(int width, int height, int bands) {
        Random random = new Random(width * 31L + height);
        short[] samples = new short[width * height * bands];
        for (int x0 = 0; x0 < width; x0 += 64) {
            for (int y0 = 0; y0 < height; y0 += 32) {
                short[] patch = SyntheticScenes.remoteSensingPatch((x0 + y0) / 32 % 4, 64, random);
                for (int y = 0; y < 32 && y0 + y < height; y++) {
                    for (int x = 0; x < 64 && x0 + x < width; x++) {
                        System.arraycopy(
                                patch,
                                (y * 64 + x) * bands,
                                samples,
                                ((y0 + y) * width + x0 + x) * bands,
                                bands);
                    }
                }
            }
        }
        return GeoTiffWriter.write(samples, width, height, bands, 400_000, 5_600_000, 10, 32633);
    }

    private static byte[] resource(String path) throws Exception {
        try (InputStream in = ImagePartsITCase.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        }
    }

    private static String idOf(ImagePublisher publisher, RecordMetadata metadata) {
        return RecordIds.of(publisher.clientProperties(), metadata);
    }
}
