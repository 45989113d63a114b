package org.imagestream.decode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.imagestream.model.Domain;
import org.imagestream.model.ImageRecord;

/**
 * Runs the job's decode path (de-identification for medical records, then {@link
 * ImageDecoder#decode}) on files, in a JVM of its own, and prints one line per file: {@code
 * name<TAB>OK<TAB>stored bytes} or {@code name<TAB>reason<TAB>message}. Anything but a {@link
 * DecodeException} prints {@code ERROR}; an {@code OutOfMemoryError} ends the JVM when it runs with
 * {@code -XX:+ExitOnOutOfMemoryError}, as a TaskManager does. Used by {@link PoisonPillDecodeTest}.
 *
 * <p>Arguments: triples of {@code file domain model}, where model is {@code HxWxC} with an optional
 * {@code :tiles} or {@code :resize}.
 */
public final class DecodeProbe {
    private DecodeProbe() {}

    public static void main(String[] args) throws Exception {
        // A larger budget than the job's default, to show what the default prevents.
        DecodeLimits limits =
                DecodeLimits.DEFAULT.withMaxDecodeMemory(
                        Long.getLong(
                                "probe.max-decode-memory", DecodeLimits.DEFAULT.maxDecodeMemory()));
        DicomDeidentifier deidentifier =
                new DicomDeidentifier("probe".getBytes(StandardCharsets.US_ASCII), limits);
        for (int i = 0; i + 2 < args.length; i += 3) {
            Path file = Path.of(args[i]);
            Domain domain = Domain.fromId(args[i + 1]);
            ModelInput input = modelInput(args[i + 2]);
            ImageRecord record = new ImageRecord();
            record.domain = domain.id();
            record.bytes = Files.readAllBytes(file);
            String name = file.getFileName().toString();
            try {
                if (domain == Domain.MEDICAL) {
                    record.bytes = deidentifier.deidentify(record.bytes);
                }
                var image = ImageDecoder.decode(record, Map.of(domain, input), limits);
                System.out.println(
                        name
                                + "\tOK\t"
                                + record.bytes.length
                                + "\t"
                                + image.originalWidth
                                + "x"
                                + image.originalHeight);
            } catch (DecodeException e) {
                System.out.println(name + "\t" + e.reason() + "\t" + e.getMessage());
            } catch (Throwable e) {
                System.out.println(name + "\tERROR\t" + e);
            }
            record = null;
            System.out.flush();
        }
    }

    private static ModelInput modelInput(String spec) {
        String[] parts = spec.split(":");
        String[] size = parts[0].split("x");
        ModelInput input =
                new ModelInput(
                        Integer.parseInt(size[0]),
                        Integer.parseInt(size[1]),
                        Integer.parseInt(size[2]));
        if (parts.length > 1) {
            input =
                    input.withTiling(
                            parts[1].equals("tiles") ? SceneTiling.TILE : SceneTiling.RESIZE);
        }
        return input;
    }
}
