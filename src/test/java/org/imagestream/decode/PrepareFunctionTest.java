package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.imagestream.ingest.ImageHeaders;
import org.imagestream.model.DeadLetter;
import org.imagestream.model.DecodedImage;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;
import org.imagestream.samples.SampleImages;
import org.imagestream.testing.Bytes;
import org.junit.jupiter.api.Test;

class PrepareFunctionTest {
    private static final Map<Domain, ModelInput> INPUTS =
            Map.of(Domain.SOCIAL, new ModelInput(32, 32, 3));

    /**
     * Nothing is decoded here: every record of a configured domain goes on with its bytes and their
     * SHA-256 (checked with the JDK's own digest), whatever the bytes; records of a domain without
     * a model, or of none, are dead letters.
     */
    @Test
    void shouldPassOnBytesWithTheirHashAndDeadLetterUnknownDomains() throws Exception {
        byte[] jpeg = SampleImages.generate(Domain.SOCIAL, 0, new Random(1)).bytes();
        try (var harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new PrepareFunction(INPUTS, 1_000_000))) {
            harness.processElement(record("t-0-0", "social", jpeg), 0);
            harness.processElement(record("t-0-1", "Social", new byte[] {1, 2, 3}), 0);
            harness.processElement(record("t-0-2", null, jpeg), 0);
            harness.processElement(record("t-0-3", "medical", jpeg), 0); // no medical model here

            List<DecodedImage> prepared = harness.extractOutputValues();
            assertThat(prepared)
                    .extracting(image -> image.record.imageId)
                    .containsExactly("t-0-0", "t-0-1");
            assertThat(prepared).allSatisfy(image -> assertThat(image.pixels).isNull());
            assertThat(prepared.get(0).contentSha256).isEqualTo(sha256(jpeg));
            assertThat(prepared.get(1).contentSha256).isEqualTo(sha256(new byte[] {1, 2, 3}));
            assertThat(prepared.get(1).record.domain).isEqualTo("social");
            List<DeadLetter> deadLetters =
                    deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS));
            assertThat(deadLetters)
                    .extracting(d -> d.imageId + "=" + d.reason)
                    .containsExactly("t-0-2=UNKNOWN_DOMAIN", "t-0-3=UNKNOWN_DOMAIN");
            assertThat(deadLetters).allSatisfy(d -> assertThat(d.stage).isEqualTo("decode"));
            assertThat(deadLetters.get(0).bytes).isEqualTo(jpeg); // replayable as is
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void shouldDeadLetterOversizedRecordsWithAPointerInsteadOfTheBytes() throws Exception {
        byte[] jpeg = SampleImages.generate(Domain.SOCIAL, 0, new Random(1)).bytes();
        try (var harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new PrepareFunction(INPUTS, jpeg.length - 1))) {
            ImageRecord record = record("t-0-9", "social", jpeg);
            harness.processElement(record, 0);
            assertThat(harness.extractOutputValues()).isEmpty();
            DeadLetter deadLetter =
                    deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS)).get(0);
            assertThat(deadLetter.reason).isEqualTo("TOO_LARGE");
            assertThat(deadLetter.bytes).isEmpty();
            assertThat(deadLetter.topic + "/" + deadLetter.partition + "/" + deadLetter.offset)
                    .isEqualTo("t/0/9");
        }
    }

    /**
     * With de-identification on, a medical record's source id (which may name the patient) becomes
     * a keyed pseudonym, the same for the same id and key, and the producer's free headers are
     * dropped before anything is dead-lettered; other domains keep both as sent.
     */
    @Test
    void shouldPseudonymiseMedicalSourceIdsAndDropFreeHeaders() throws Exception {
        String path = "exports/DOE^JOHN/1.2.840.1/slice-1.dcm";
        List<DeadLetter> first = deadLetterFor("medical", path, "secret");
        List<DeadLetter> again = deadLetterFor("medical", path, "secret");
        List<DeadLetter> otherKey = deadLetterFor("medical", path, "other");
        DeadLetter letter = first.get(0);
        String pseudonym = letter.headers.get(ImageHeaders.SOURCE_ID);
        assertThat(pseudonym).matches("medical-[0-9a-f]{32}");
        // Not de-identified (refused first), so not known to be DICOM: the producer's content
        // type is dropped with the other free headers.
        assertThat(letter.headers).containsOnlyKeys(ImageHeaders.DOMAIN, ImageHeaders.SOURCE_ID);
        assertThat(letter.headers.toString()).doesNotContain("DOE", "JOHN", "1.2.840.1");
        assertThat(again.get(0).headers.get(ImageHeaders.SOURCE_ID)).isEqualTo(pseudonym);
        assertThat(otherKey.get(0).headers.get(ImageHeaders.SOURCE_ID)).isNotEqualTo(pseudonym);

        DeadLetter social = deadLetterFor("social", path, "secret").get(0);
        assertThat(social.headers)
                .containsEntry(ImageHeaders.SOURCE_ID, path)
                .containsEntry("patient", "DOE^JOHN");
    }

    @Test
    void shouldTreatEverySpellingOfMedicalAndDicomBytesUnderAnyDomainAsMedical() throws Exception {
        String path = "exports/DOE^JOHN/slice-1.dcm";
        for (String domain : new String[] {"MEDICAL", "Medical", " medical", "medical "}) {
            assertThat(deadLetterFor(domain, path, "secret").get(0).headers)
                    .as("domain header '%s'", domain)
                    .doesNotContainKey("patient")
                    .extractingByKey(ImageHeaders.SOURCE_ID)
                    .asString()
                    .matches("medical-[0-9a-f]{32}");
        }
        byte[] dicom = new byte[200];
        dicom[128] = 'D';
        dicom[129] = 'I';
        dicom[130] = 'C';
        dicom[131] = 'M';
        for (String domain : new String[] {"social", null, "unknown"}) {
            ImageRecord record = record("t-0-1", domain, dicom);
            assertThat(PrepareFunction.isMedical(record, java.util.Set.of()))
                    .as("DICOM under %s", domain)
                    .isTrue();
        }
        assertThat(
                        PrepareFunction.isMedical(
                                record("t-0-1", "social", new byte[200]), java.util.Set.of()))
                .isFalse();
    }

    /**
     * Fail closed: a DICOM file refused before it is de-identified (a stored header over the
     * limit), a DICOM file the job cannot read as Part 10 (no preamble, gzipped), one whose domain
     * header is spelled with a capital D or names no domain, on the medical topic or not: none of
     * them reaches the dead-letter topic with its bytes, the producer's headers, or a header value
     * in the message. A de-identified file's content type is application/dicom, not the producer's
     * text.
     */
    @Test
    void shouldNeverDeadLetterAMedicalRecordsOriginalBytesOrHeaders() throws Exception {
        byte[] dicom;
        try (var in = getClass().getResourceAsStream("/dicom/CT_small.dcm")) {
            dicom = in.readAllBytes();
        }
        // The patient's name as DCMTK's dcmdump shows it in this pydicom test file.
        byte[] patient =
                "CompressedSamples^CT1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] withoutPreamble = java.util.Arrays.copyOfRange(dicom, 128, dicom.length);
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (var gzip = new java.util.zip.GZIPOutputStream(gzipped)) {
            gzip.write(dicom);
        }
        Map<Domain, ModelInput> inputs =
                Map.of(
                        Domain.SOCIAL,
                        new ModelInput(32, 32, 3),
                        Domain.MEDICAL,
                        new ModelInput(32, 32, 1));
        PrepareFunction prepare =
                new PrepareFunction(inputs, 1_000_000)
                        .deidentifyDicom("secret".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .medicalTopics(List.of("images-medical"));
        String privateType = "application/dicom; name=\"DOE^JOHN.dcm\"";
        try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(prepare)) {
            // A domain header that names medical, padded past the stored-header limit.
            harness.processElement(
                    identified("t-0-0", "images-medical", "medical" + " ".repeat(1100), dicom), 0);
            harness.processElement(
                    identified("t-0-1", "images-social", "social", withoutPreamble), 0);
            harness.processElement(
                    identified("t-0-2", "images-medical", null, gzipped.toByteArray()), 0);
            ImageRecord capitalD = identified("t-0-3", "uploads", null, gzipped.toByteArray());
            capitalD.headers.put("Domain", "medical");
            harness.processElement(capitalD, 0);
            harness.processElement(identified("t-0-4", "uploads", "DOE^JOHN", dicom), 0);
            ImageRecord stored = identified("t-0-5", "uploads", "medical", dicom);
            stored.contentType = privateType;
            stored.headers.put(ImageHeaders.CONTENT_TYPE, privateType);
            harness.processElement(stored, 0);
            ImageRecord photo = identified("t-0-6", "uploads", "social", gzipped.toByteArray());
            harness.processElement(photo, 0);

            List<DeadLetter> letters =
                    deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS));
            assertThat(letters)
                    .extracting(d -> d.imageId + "=" + d.reason)
                    .containsExactly(
                            "t-0-0=INVALID_HEADER",
                            "t-0-1=UNSUPPORTED_FORMAT",
                            "t-0-2=UNSUPPORTED_FORMAT",
                            "t-0-3=UNSUPPORTED_FORMAT",
                            "t-0-4=UNKNOWN_DOMAIN");
            for (DeadLetter letter : letters) {
                String what = letter.imageId + " " + letter.headers + " " + letter.message;
                assertThat(what).doesNotContain("DOE", "JOHN", "patient");
                assertThat(letter.headers.get(ImageHeaders.SOURCE_ID))
                        .matches("medical-[0-9a-f]{32}");
                if (letter.imageId.equals("t-0-4")) {
                    // De-identified before its domain was found unknown: those bytes may go.
                    assertThat(Bytes.indexOf(letter.bytes, patient)).isNegative();
                    assertThat(letter.headers)
                            .containsEntry(ImageHeaders.CONTENT_TYPE, "application/dicom");
                } else {
                    assertThat(letter.bytes).as(letter.imageId).isEmpty();
                    assertThat(letter.headers).doesNotContainKey(ImageHeaders.CONTENT_TYPE);
                }
            }
            List<DecodedImage> prepared = harness.extractOutputValues();
            assertThat(prepared)
                    .extracting(image -> image.record.imageId)
                    .containsExactly("t-0-5", "t-0-6");
            DecodedImage medical = prepared.get(0);
            assertThat(Bytes.indexOf(medical.record.bytes, patient)).isNegative();
            assertThat(medical.record.contentType).isEqualTo("application/dicom");
            assertThat(medical.record.headers)
                    .containsEntry(ImageHeaders.CONTENT_TYPE, "application/dicom")
                    .doesNotContainKey("patient");
            // Not on a medical topic, no DICOM prefix, a social domain: left as sent.
            assertThat(prepared.get(1).record.bytes).isEqualTo(gzipped.toByteArray());
            assertThat(prepared.get(1).record.headers).containsEntry("patient", "DOE^JOHN");
        }
    }

    private static ImageRecord identified(String id, String topic, String domain, byte[] bytes) {
        ImageRecord record = record(id, domain, bytes);
        record.topic = topic;
        record.sourceId = "exports/DOE^JOHN/" + id + ".dcm";
        record.headers.put(ImageHeaders.SOURCE_ID, record.sourceId);
        if (domain != null) {
            record.headers.put(ImageHeaders.DOMAIN, domain);
        }
        record.headers.put("patient", "DOE^JOHN");
        return record;
    }

    @Test
    void shouldDeadLetterStoredHeadersOverTheLimit() throws Exception {
        byte[] jpeg = SampleImages.generate(Domain.SOCIAL, 0, new Random(1)).bytes();
        try (var harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new PrepareFunction(INPUTS, 1_000_000))) {
            ImageRecord longSource = record("t-0-0", "social", jpeg);
            // The documented limit (README, Wire format): 1024 characters.
            longSource.sourceId = "s".repeat(1025);
            ImageRecord longType = record("t-0-1", "social", jpeg);
            longType.contentType = "image/" + "x".repeat(70_000);
            ImageRecord atLimit = record("t-0-2", "social", jpeg);
            atLimit.sourceId = "s".repeat(1024);
            harness.processElement(longSource, 0);
            harness.processElement(longType, 0);
            harness.processElement(atLimit, 0);
            assertThat(harness.extractOutputValues())
                    .extracting(image -> image.record.imageId)
                    .containsExactly("t-0-2");
            assertThat(deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS)))
                    .extracting(d -> d.imageId + "=" + d.reason)
                    .containsExactly("t-0-0=INVALID_HEADER", "t-0-1=INVALID_HEADER");
        }
    }

    /**
     * Images by reference: read from an allowed file:// directory before anything else, so a DICOM
     * file is found medical by its bytes whatever its domain header says, de-identified, and its
     * content-location (which may name the patient) dropped with the other free headers; a
     * reference that cannot be read is a dead letter that keeps the reference, not bytes.
     */
    @Test
    void shouldReadReferencesFirstAndProtectAMedicalOneLikeAnyDicomFile(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path root) throws Exception {
        java.nio.file.Path allowed = java.nio.file.Files.createDirectories(root.resolve("in"));
        byte[] dicom;
        try (var in = getClass().getResourceAsStream("/dicom/CT_small.dcm")) {
            dicom = in.readAllBytes();
        }
        // The patient's name as DCMTK's dcmdump shows it in this pydicom test file.
        byte[] patient =
                "CompressedSamples^CT1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(Bytes.indexOf(dicom, patient)).isNotNegative();
        java.nio.file.Path file =
                java.nio.file.Files.write(allowed.resolve("CompressedSamples_CT1.dcm"), dicom);
        PrepareFunction prepare =
                new PrepareFunction(INPUTS, 1_000_000)
                        .deidentifyDicom("secret".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .readReferences(List.of(allowed.toUri().toString()), 1 << 20);
        try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(prepare)) {
            ImageRecord medical = reference("t-0-1", "social", file.toUri().toString());
            harness.processElement(medical, 0);
            ImageRecord missing =
                    reference("t-0-2", "social", allowed.resolve("gone.jpg").toUri().toString());
            harness.processElement(missing, 0);
            ImageRecord outside =
                    reference("t-0-3", "social", root.resolve("x.jpg").toUri().toString());
            harness.processElement(outside, 0);

            DecodedImage prepared = harness.extractOutputValues().get(0);
            assertThat(prepared.record.byReference).isTrue();
            assertThat(prepared.record.bytes).isNotEmpty();
            assertThat(Bytes.indexOf(prepared.record.bytes, patient)).isNegative();
            assertThat(prepared.record.headers)
                    .doesNotContainKey(ImageHeaders.CONTENT_LOCATION)
                    .doesNotContainKey("patient");
            assertThat(prepared.record.sourceId).matches("medical-[0-9a-f]{32}");
            assertThat(prepared.contentSha256).isEqualTo(sha256(prepared.record.bytes));

            List<DeadLetter> letters =
                    deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS));
            assertThat(letters)
                    .extracting(d -> d.imageId + "=" + d.reason)
                    .containsExactly("t-0-2=REFERENCE_UNREADABLE", "t-0-3=REFERENCE_REFUSED");
            // Never read, so perhaps DICOM: protected like a medical record (fail closed); the
            // letters point at their original records for replay.
            assertThat(letters)
                    .allSatisfy(
                            d -> {
                                assertThat(d.bytes).isEmpty();
                                assertThat(d.headers)
                                        .doesNotContainKey(ImageHeaders.CONTENT_LOCATION)
                                        .doesNotContainKey("patient");
                                assertThat(d.headers.get(ImageHeaders.SOURCE_ID))
                                        .matches("medical-[0-9a-f]{32}");
                            });
        }
        // Without allowed prefixes every reference is refused.
        try (var harness =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new PrepareFunction(INPUTS, 1_000_000))) {
            harness.processElement(reference("t-0-4", "social", file.toUri().toString()), 0);
            DeadLetter refused =
                    deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS)).get(0);
            assertThat(refused.reason).isEqualTo("REFERENCE_REFUSED");
            // Without de-identification the letter keeps the reference, not bytes.
            assertThat(refused.bytes).isEmpty();
            assertThat(refused.headers)
                    .containsEntry(ImageHeaders.CONTENT_LOCATION, file.toUri().toString());
        }
    }

    private static ImageRecord reference(String id, String domain, String location) {
        ImageRecord record = record(id, domain, new byte[0]);
        record.sourceId = "exports/DOE^JOHN/" + id;
        record.headers.put(ImageHeaders.SOURCE_ID, record.sourceId);
        record.headers.put(ImageHeaders.DOMAIN, domain);
        record.headers.put(ImageHeaders.CONTENT_LOCATION, location);
        record.headers.put("patient", "DOE^JOHN");
        return record;
    }

    /** One oversized record (dead-lettered before decoding) through a de-identifying stage. */
    private static List<DeadLetter> deadLetterFor(String domain, String sourceId, String key)
            throws Exception {
        PrepareFunction decode =
                new PrepareFunction(INPUTS, 10)
                        .deidentifyDicom(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (var harness = ProcessFunctionTestHarnesses.forProcessFunction(decode)) {
            ImageRecord record = record("t-0-1", domain, new byte[64]);
            record.sourceId = sourceId;
            record.headers.put(ImageHeaders.DOMAIN, domain);
            record.headers.put(ImageHeaders.SOURCE_ID, sourceId);
            record.headers.put(ImageHeaders.CONTENT_TYPE, "application/dicom");
            record.headers.put("patient", "DOE^JOHN");
            harness.processElement(record, 0);
            List<DeadLetter> letters =
                    deadLetters(harness.getSideOutput(PrepareFunction.DEAD_LETTERS));
            assertThat(letters).singleElement().extracting(d -> d.reason).isEqualTo("TOO_LARGE");
            return letters;
        }
    }

    private static List<DeadLetter> deadLetters(
            java.util.Collection<StreamRecord<DeadLetter>> side) {
        List<DeadLetter> out = new ArrayList<>();
        if (side != null) {
            side.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private static ImageRecord record(String id, String domain, byte[] bytes) {
        ImageRecord record = new ImageRecord();
        record.imageId = id;
        record.domain = domain;
        record.bytes = bytes;
        record.topic = "t";
        record.partition = 0;
        record.offset = Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
        return record;
    }
}
