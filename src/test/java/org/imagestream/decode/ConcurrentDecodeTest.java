package org.imagestream.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.imagestream.model.Domain;
import org.junit.jupiter.api.Test;

/**
 * Every reference file of every domain (photos, GeoTIFFs, DICOM in every transfer syntax, JPEG 2000
 * included) decoded by several threads at once, as the slots of one TaskManager decode: each
 * outcome, pixels and extras or the refusal's reason, must be the one the file gets when decoded
 * alone. What "alone" gives is checked against the reference tools (Pillow, GDAL, DCMTK, OpenJPEG)
 * by the reference tests; this test catches state a library shares between threads, which is how
 * ImageJ's DICOM reader once lost the modality under CI's parallelism 3 (this test failed on that
 * reader within 3 s: a JPEG 2000 DICOM rendered without its VOI window).
 */
class ConcurrentDecodeTest {
    private static final Pattern BANDS = Pattern.compile("-(\\d+)band-");

    /** One input and the model geometry it is decoded to. */
    private record Input(String name, Domain domain, byte[] bytes, ModelInput model) {}

    /**
     * What a decode gave: a digest of its pixels (SHA-256 of their float bits) and its extras, or
     * the reason it was refused.
     */
    private record Outcome(String reason, String pixels, Map<String, String> extras, int parts) {
        static Outcome of(Input input) throws Exception {
            try {
                DecodedPixels decoded =
                        ImageDecoders.decode(input.domain(), input.bytes(), input.model());
                ByteBuffer bits = ByteBuffer.allocate(decoded.pixels().length * Float.BYTES);
                bits.asFloatBuffer().put(decoded.pixels());
                String digest =
                        HexFormat.of()
                                .formatHex(
                                        MessageDigest.getInstance("SHA-256").digest(bits.array()));
                return new Outcome(null, digest, decoded.extras(), decoded.parts());
            } catch (DecodeException e) {
                return new Outcome(e.reason().name(), "", Map.of(), 0);
            }
        }
    }

    @Test
    void shouldDecodeEveryReferenceFileAsItDecodesAloneWhenThreadsDecodeAtOnce() throws Exception {
        List<Input> inputs = new ArrayList<>();
        for (Path file : files("/images", ".jpg", ".png", ".gif", ".webp")) {
            inputs.add(input(file, Domain.SOCIAL, new ModelInput(24, 24, 3)));
        }
        for (Path file : files("/geotiff", ".tif")) {
            Matcher bands = BANDS.matcher(file.getFileName().toString());
            assertThat(bands.find()).as("band count in %s", file).isTrue();
            int count = Integer.parseInt(bands.group(1));
            inputs.add(
                    input(
                            file,
                            Domain.REMOTE_SENSING,
                            new ModelInput(16, 16, count, null, 1f, null, null)));
        }
        for (Path file : files("/dicom", ".dcm")) {
            inputs.add(
                    input(
                            file,
                            Domain.MEDICAL,
                            new ModelInput(24, 24, 1).withFrame(DicomFrame.ALL)));
        }
        assertThat(inputs).hasSizeGreaterThan(50);
        List<Outcome> alone = new ArrayList<>();
        for (Input input : inputs) {
            alone.add(Outcome.of(input));
        }
        assertThat(alone).filteredOn(o -> o.reason() == null).hasSizeGreaterThan(40);

        ManyThreads.check(
                4,
                25,
                inputs.size(),
                5,
                i ->
                        assertThat(Outcome.of(inputs.get(i)))
                                .as(inputs.get(i).name())
                                .isEqualTo(alone.get(i)));
    }

    private static Input input(Path file, Domain domain, ModelInput model) throws Exception {
        return new Input(file.getFileName().toString(), domain, Files.readAllBytes(file), model);
    }

    private static List<Path> files(String directory, String... endings) throws Exception {
        Path root = Path.of(ConcurrentDecodeTest.class.getResource(directory).toURI());
        try (Stream<Path> listing = Files.list(root)) {
            return listing.filter(p -> Stream.of(endings).anyMatch(e -> p.toString().endsWith(e)))
                    .sorted()
                    .toList();
        }
    }
}
