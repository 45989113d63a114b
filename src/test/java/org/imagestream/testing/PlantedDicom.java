package org.imagestream.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * DICOM files full of planted identifiers, written by pydicom ({@code dicom-oracle/plant.py}), and
 * DCMTK's {@code dcmdump} to list a file's elements: both from Debian's packages, fetched by the
 * build into {@code target/localstack/tools} ({@code localstack/tools.sh}). Every planted text
 * contains {@link #TEXT_MARK}, every planted UID {@link #UID_MARK}; the birth date is {@link
 * #BIRTH_DATE}.
 */
public final class PlantedDicom {
    public static final String TEXT_MARK = "PLANT";
    public static final String UID_MARK = "1.2.826.0.1.3680043.99.";
    public static final String BIRTH_DATE = "19600101";

    /**
     * Files {@link #write} makes, by transfer syntax; plus {@code burned-in.dcm}, and hostile
     * spellings: {@code hostile.dcm}, {@code burned-in-lower.dcm}, {@code meta-twice.dcm}, {@code
     * rows-twice.dcm} (see {@code plant.py}).
     */
    public static final List<String> FILES =
            List.of("implicit.dcm", "explicit.dcm", "bigendian.dcm", "deflated.dcm");

    private static final Path TOOLS = ReferenceTools.ROOT;

    private PlantedDicom() {}

    /** Writes the files into {@code dir}. */
    public static void write(Path dir) throws IOException, InterruptedException {
        Path script = dir.resolve("plant.py");
        try (InputStream in = PlantedDicom.class.getResourceAsStream("/dicom-oracle/plant.py")) {
            Files.write(script, in.readAllBytes());
        }
        run(
                List.of("python3", script.toString(), dir.toString()),
                Map.of("PYTHONPATH", TOOLS.resolve("usr/lib/python3/dist-packages").toString()));
    }

    /**
     * Writes {@code <name>.planted.dcm} into {@code dir} for each compressed DICOM file: its frames
     * with identifying text planted in their codestreams' comment and application segments and
     * after their end markers ({@code dicom-oracle/plant_codestreams.py}, pydicom).
     */
    public static void plantCodestreams(Path dir, List<Path> files)
            throws IOException, InterruptedException {
        Path script = dir.resolve("plant_codestreams.py");
        try (InputStream in =
                PlantedDicom.class.getResourceAsStream("/dicom-oracle/plant_codestreams.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new java.util.ArrayList<>();
        command.add("python3");
        command.add(script.toString());
        command.add(dir.toString());
        files.forEach(file -> command.add(file.toString()));
        run(
                command,
                Map.of("PYTHONPATH", TOOLS.resolve("usr/lib/python3/dist-packages").toString()));
    }

    /**
     * {@link #plantCodestreams} for many files in one pydicom process (python's start and pydicom's
     * import took about 1.3 s a file when each test planted its own): the planted bytes by the name
     * of each original.
     */
    public static Map<String, byte[]> plantedCodestreams(Path dir, Map<String, byte[]> originals)
            throws IOException, InterruptedException {
        List<Path> files = new java.util.ArrayList<>();
        for (Map.Entry<String, byte[]> original : originals.entrySet()) {
            files.add(Files.write(dir.resolve(original.getKey() + ".dcm"), original.getValue()));
        }
        plantCodestreams(dir, files);
        Map<String, byte[]> planted = new java.util.HashMap<>();
        for (String name : originals.keySet()) {
            planted.put(name, Files.readAllBytes(dir.resolve(name + ".planted.dcm")));
        }
        return planted;
    }

    /** dcmdump's listing of a file (meta header and data set, sequences indented). */
    public static String dcmdump(Path file) throws IOException, InterruptedException {
        return run(
                List.of(TOOLS.resolve("usr/bin/dcmdump").toString(), file.toString()),
                Map.of(
                        "LD_LIBRARY_PATH",
                        TOOLS.resolve("usr/lib/x86_64-linux-gnu").toString(),
                        "DCMDICTPATH",
                        TOOLS.resolve("usr/share/libdcmtk17/dicom.dic").toString()));
    }

    /**
     * A DICOM file (8-bit MONOCHROME2 MR, JPEG 2000 lossless syntax) holding {@code codestream} as
     * its one frame, written by pydicom ({@code dicom-oracle/wrap_j2k.py}).
     */
    public static void wrapJpeg2000(Path codestream, int rows, int columns, Path out)
            throws IOException, InterruptedException {
        Path script = out.resolveSibling("wrap_j2k.py");
        try (InputStream in = PlantedDicom.class.getResourceAsStream("/dicom-oracle/wrap_j2k.py")) {
            Files.write(script, in.readAllBytes());
        }
        run(
                List.of(
                        "python3",
                        script.toString(),
                        codestream.toString(),
                        Integer.toString(rows),
                        Integer.toString(columns),
                        out.toString()),
                Map.of("PYTHONPATH", TOOLS.resolve("usr/lib/python3/dist-packages").toString()));
    }

    /**
     * pydicom's reading of the UIDs de-identification replaces, beside the pseudonyms Python's
     * {@code hmac} gives for the original's values ({@code dicom-oracle/pseudonyms.py}): one line
     * per UID, {@code keyword expected actual}.
     */
    public static List<String> pseudonyms(String key, Path original, Path deidentified)
            throws IOException, InterruptedException {
        Path script = deidentified.resolveSibling("pseudonyms.py");
        try (InputStream in =
                PlantedDicom.class.getResourceAsStream("/dicom-oracle/pseudonyms.py")) {
            Files.write(script, in.readAllBytes());
        }
        String output =
                run(
                        List.of(
                                "python3",
                                script.toString(),
                                key,
                                original.toString(),
                                deidentified.toString()),
                        Map.of(
                                "PYTHONPATH",
                                TOOLS.resolve("usr/lib/python3/dist-packages").toString()));
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    /** DCMTK's dcmdrle: the RLE file {@code in} decompressed into {@code out}. */
    public static void dcmdrle(Path in, Path out) throws IOException, InterruptedException {
        run(
                List.of(TOOLS.resolve("usr/bin/dcmdrle").toString(), in.toString(), out.toString()),
                Map.of(
                        "LD_LIBRARY_PATH",
                        TOOLS.resolve("usr/lib/x86_64-linux-gnu").toString(),
                        "DCMDICTPATH",
                        TOOLS.resolve("usr/share/libdcmtk17/dicom.dic").toString()));
    }

    private static String run(List<String> command, Map<String, String> environment)
            throws IOException, InterruptedException {
        assertThat(TOOLS.resolve("usr/bin/dcmdump"))
                .as(
                        "Debian's dcmtk and python3-pydicom, fetched by the build (localstack/tools.sh)")
                .exists();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }
}
