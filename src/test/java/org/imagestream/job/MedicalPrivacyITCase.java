package org.imagestream.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ColumnDefinition;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.imagestream.config.JobConfig;
import org.imagestream.decode.DicomIdentifiers;
import org.imagestream.ingest.ImagePublisher;
import org.imagestream.localstack.LocalStack;
import org.imagestream.localstack.LocalStackExtension;
import org.imagestream.testing.CapturingMetricReporter;
import org.imagestream.testing.PipelineOutcomes;
import org.imagestream.testing.PlantedDicom;
import org.imagestream.testing.TestFlink;
import org.imagestream.testing.TestStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real DICOM files that carry patient names, IDs, dates and UIDs go through the job; afterwards no
 * identifying value of any of them appears anywhere the job wrote: every column of every Cassandra
 * table (blobs included), the dead-letter topic (values and headers), the log lines the job printed
 * meanwhile, and every metric it registered (names, scope variables, values). One file is truncated
 * so that it cannot be de-identified: its dead letter must carry no bytes. pydicom's files with a
 * planted identifier in every attribute group ({@link PlantedDicom}) go in under the domain header
 * spelled {@code MEDICAL}, {@code " medical"}, {@code Medical}, as {@code social} and with none:
 * DICOM bytes are medical whatever the headers say; a burned-in file is dead-lettered bytes-free.
 */
@ExtendWith(LocalStackExtension.class)
class MedicalPrivacyITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = TestFlink.withoutRestartsCapturingMetrics(2);

    private static final List<String> FILES =
            List.of(
                    "CT_small",
                    "MR_small",
                    "MR_small_implicit",
                    "MR_small_bigendian",
                    "image_dfl",
                    "rtdose");

    @TempDir static Path planted;

    @Test
    void shouldStoreAndLogNoIdentifyingValue(LocalStack stack) throws Exception {
        PlantedDicom.write(planted);
        TestStreams streams = TestStreams.create(stack, "privacy");
        Set<String> identifying = new LinkedHashSet<>();
        List<byte[]> files = new ArrayList<>();
        for (String name : FILES) {
            byte[] file = resource(name + ".dcm");
            files.add(file);
            identifying.addAll(DicomIdentifiers.of(file));
        }
        assertThat(identifying).contains("CompressedSamples^CT1");
        byte[] ct = files.get(0);
        // Cut inside the pixel data: the header walk refuses it before de-identification.
        byte[] truncated = java.util.Arrays.copyOf(ct, ct.length - 5000);

        // pydicom's files with a planted identifier in every attribute group, sent as a careless
        // or hostile producer would: the domain header spelled in other ways, a DICOM under the
        // social domain and without a domain header, and a file with burned-in annotation.
        Map<String, String> plantedDomains = new LinkedHashMap<>();
        plantedDomains.put("implicit.dcm", "MEDICAL");
        plantedDomains.put("explicit.dcm", "social");
        plantedDomains.put("bigendian.dcm", null);
        plantedDomains.put("deflated.dcm", " medical");
        plantedDomains.put("burned-in.dcm", "Medical");
        // Kept attributes spelled to carry text, an overlay in the pixel words' high bits.
        plantedDomains.put("hostile.dcm", "medical");
        // Text in a compressed frame's comment, EXIF segment and after its end marker.
        Path baseline = planted.resolve("MR_small_jpeg_baseline.dcm");
        Files.write(baseline, resource("MR_small_jpeg_baseline.dcm"));
        PlantedDicom.plantCodestreams(planted, List.of(baseline));
        plantedDomains.put("MR_small_jpeg_baseline.planted.dcm", "medical");
        identifying.add("DOE^JOHN");
        identifying.add(PlantedDicom.TEXT_MARK);
        identifying.add(PlantedDicom.UID_MARK);
        identifying.add(PlantedDicom.BIRTH_DATE);

        StringWriter logs = new StringWriter();
        Appender capture = captureLogs(logs);
        CapturingMetricReporter.clear();
        try {
            try (ImagePublisher publisher =
                    ImagePublisher.forBootstrapServers(stack.bootstrapServers())) {
                for (int i = 0; i < files.size(); i++) {
                    publisher
                            .publish(
                                    streams.topic(),
                                    "medical",
                                    // As a PACS export names them: by patient and study UID.
                                    sourceIdOf(files.get(i), i),
                                    "application/dicom",
                                    files.get(i))
                            .get();
                }
                for (Map.Entry<String, String> file : plantedDomains.entrySet()) {
                    publisher
                            .publish(
                                    streams.topic(),
                                    file.getValue(),
                                    "PLANTNAME^JOHN/" + file.getKey(),
                                    // A MIME parameter naming the patient: free text.
                                    "application/dicom; name=\"PLANTNAME^JOHN.dcm\"",
                                    Files.readAllBytes(planted.resolve(file.getKey())),
                                    Map.of("patient", "PLANTNAME^JOHN"))
                            .get();
                }
                // Refused before it is de-identified: a domain header over the stored-header
                // limit.
                publisher
                        .publish(
                                streams.topic(),
                                "medical" + " ".repeat(1100),
                                "PLANTNAME^JOHN/long-domain.dcm",
                                "application/dicom",
                                Files.readAllBytes(planted.resolve("explicit.dcm")),
                                Map.of("patient", "PLANTNAME^JOHN"))
                        .get();
                // The same data set without the Part 10 preamble, meta group and DICM prefix,
                // sent as a social photo.
                byte[] part10 = Files.readAllBytes(planted.resolve("explicit.dcm"));
                int metaLength =
                        java.nio.ByteBuffer.wrap(part10, 140, 4)
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                                .getInt();
                publisher
                        .publish(
                                streams.topic(),
                                "social",
                                "PLANTNAME^JOHN/raw-data-set",
                                "image/jpeg",
                                java.util.Arrays.copyOfRange(
                                        part10, 144 + metaLength, part10.length),
                                Map.of("patient", "PLANTNAME^JOHN"))
                        .get();
                publisher
                        .publish(
                                streams.topic(),
                                "medical",
                                sourceIdOf(ct, 99),
                                "application/dicom",
                                truncated,
                                // A producer's free header: may hold anything.
                                Map.of("patient", String.join(",", identifying)))
                        .get();
            }
            Map<String, String> options = LocalJobOptions.of(stack, streams);
            options.put("kafka.bounded", "true");
            // Its own key, from a file (a key is never a job argument).
            Path secret = planted.resolve("medical-uid-secret");
            Files.writeString(secret, "privacy-it-secret-key\n");
            options.put("medical.uid-secret-file", secret.toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            ImageClassificationJob.build(env, JobConfig.fromMap(options));
            env.execute("privacy-it");
        } finally {
            releaseLogs(capture);
        }

        StringBuilder stored = new StringBuilder();
        int rows = 0;
        try (CqlSession session = streams.settings().openSession()) {
            for (String table :
                    List.of(
                            "results",
                            "result_parts",
                            "results_by_label",
                            "blobs",
                            "blob_chunks")) {
                for (Row row :
                        session.execute("SELECT * FROM " + streams.keyspace() + "." + table)) {
                    rows++;
                    for (ColumnDefinition column : row.getColumnDefinitions()) {
                        Object value = row.getObject(column.getName());
                        stored.append(text(value)).append('\n');
                    }
                }
            }
        }
        // image_dfl is refused; every other file has rows in four tables at least.
        assertThat(rows).as("rows in all tables").isGreaterThanOrEqualTo((FILES.size() - 1) * 4);

        // Without bytes: the truncated file, the burned-in one, image_dfl (a secondary capture
        // that does not declare Burned In Annotation), the one with a domain header over the limit
        // and the data set without its preamble (none can be de-identified). With de-identified
        // bytes: the DICOM sent as social and the one without a domain.
        List<ConsumerRecord<byte[], byte[]>> deadLetters =
                PipelineOutcomes.readCommitted(
                        stack.bootstrapServers(), streams.deadLetterTopic(), 7);
        List<String> outcomes = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> letter : deadLetters) {
            String reason =
                    new String(
                            letter.headers().lastHeader("dead-letter-reason").value(),
                            StandardCharsets.UTF_8);
            outcomes.add(reason + (letter.value().length == 0 ? " without bytes" : " with bytes"));
        }
        assertThat(outcomes)
                .containsExactlyInAnyOrder(
                        "CORRUPT without bytes",
                        "BURNED_IN_ANNOTATION without bytes",
                        "BURNED_IN_ANNOTATION without bytes",
                        "INVALID_HEADER without bytes",
                        "UNSUPPORTED_FORMAT without bytes",
                        "UNSUPPORTED_FORMAT with bytes",
                        "UNKNOWN_DOMAIN with bytes");
        StringBuilder dead = new StringBuilder();
        for (ConsumerRecord<byte[], byte[]> record : deadLetters) {
            dead.append(new String(record.value(), StandardCharsets.ISO_8859_1));
            for (Header header : record.headers()) {
                dead.append(header.key())
                        .append('=')
                        .append(new String(header.value(), StandardCharsets.ISO_8859_1));
            }
        }

        // Every metric the job registered, with its scope variables and last value.
        String metrics = String.join("\n", CapturingMetricReporter.captured());
        assertThat(metrics).as("captured metrics").contains("imagesReceived", "medical");
        for (String value : identifying) {
            assertThat(stored.toString()).as("Cassandra holds %s", value).doesNotContain(value);
            assertThat(dead.toString())
                    .as("the dead-letter topic holds %s", value)
                    .doesNotContain(value);
            assertThat(logs.toString()).as("the logs hold %s", value).doesNotContain(value);
            assertThat(metrics).as("the metrics hold %s", value).doesNotContain(value);
        }
        // The blobs are there, each marked as de-identified.
        assertThat(stored.toString()).contains("DICM").contains("YES");
    }

    /** {@code <patient name or id>/<first identifying value>/scan-<n>.dcm}. */
    private static String sourceIdOf(byte[] file, int n) throws Exception {
        List<String> values = new ArrayList<>(DicomIdentifiers.of(file));
        return String.join("/", values.subList(0, Math.min(2, values.size())))
                + "/scan-"
                + n
                + ".dcm";
    }

    private static String text(Object value) {
        if (value instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        return String.valueOf(value);
    }

    /** Every log line printed from now on (at the configured levels) also goes to {@code out}. */
    private static Appender captureLogs(StringWriter out) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        Appender appender =
                WriterAppender.createAppender(
                        PatternLayout.newBuilder().withPattern("%c %m%n").build(),
                        null,
                        out,
                        "privacy-capture",
                        false,
                        true);
        appender.start();
        configuration.addAppender(appender);
        configuration.getRootLogger().addAppender(appender, null, null);
        configuration.getLoggerConfig("org.imagestream").addAppender(appender, null, null);
        context.updateLoggers();
        return appender;
    }

    private static void releaseLogs(Appender appender) {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        configuration.getRootLogger().removeAppender(appender.getName());
        configuration.getLoggerConfig("org.imagestream").removeAppender(appender.getName());
        context.updateLoggers();
        appender.stop();
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = MedicalPrivacyITCase.class.getResourceAsStream("/dicom/" + name)) {
            return in.readAllBytes();
        }
    }
}
