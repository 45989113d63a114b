package org.imagestream.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.imagestream.config.MedicalSecret;
import org.imagestream.decode.DecodeLimits;
import org.imagestream.decode.DicomDeidentifier;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ImageEraser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code erase}: removes images from every table (right to erasure, retention clean-up), deleting a
 * blob only when no remaining row references it.
 */
@Command(
        name = "erase",
        mixinStandardHelpOptions = true,
        description = {
            "Erase images from Cassandra: result rows, parts, listings, and each blob no remaining"
                    + " row references. Images match any of --image-id, --source-id, or"
                    + " --domain with --from and --to.",
            "Reads every results and results_by_label row of the keyspace(s) once. Cassandra frees"
                    + " the disk space after gc_grace_seconds and a compaction; records still in"
                    + " Kafka are stored again if they are replayed."
        })
final class EraseCommand implements Callable<Integer> {
    @Mixin CassandraConnectionOptions connection;

    /** Offloaded blobs are deleted from the object store (storage.offload-uri). */
    @Mixin FileSystemOptions fileSystems;

    @Option(names = "--image-id", description = "An image id (repeatable).")
    List<String> imageIds = new ArrayList<>();

    @Option(
            names = "--source-id",
            description =
                    "A source id as stored (repeatable); for medical images the pseudonym, or the"
                            + " producer's id with --medical-uid-secret-file.")
    List<String> sourceIds = new ArrayList<>();

    @Option(
            names = "--medical-uid-secret-file",
            description =
                    "The job's medical.uid-secret-file: --source-id values are producer ids and"
                            + " are matched through their pseudonyms as well.")
    Path secretFile;

    @Option(names = "--domain", description = "Domain of the time range.")
    String domain;

    @Option(names = "--from", description = "ISO-8601 instant, inclusive (Kafka timestamp).")
    Instant from;

    @Option(names = "--to", description = "ISO-8601 instant, exclusive.")
    Instant to;

    @Option(names = "--dry-run", description = "Print what would be erased; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
        fileSystems.initialize();
        Set<String> sources = new HashSet<>(sourceIds);
        if (secretFile != null) {
            DicomDeidentifier pseudonyms =
                    new DicomDeidentifier(
                            MedicalSecret.fromFile(secretFile), DecodeLimits.DEFAULT, false);
            sourceIds.forEach(id -> sources.add(pseudonyms.sourceIdPseudonym(id)));
        }
        Domain rangeDomain = domain == null ? null : Domain.fromId(domain);
        ImageEraser.Selection selection =
                new ImageEraser.Selection(Set.copyOf(imageIds), sources, rangeDomain, from, to);
        CassandraSettings settings =
                connection
                        .settings()
                        .domains(
                                rangeDomain != null && imageIds.isEmpty() && sourceIds.isEmpty()
                                        ? List.of(rangeDomain)
                                        : List.of(Domain.values()))
                        .build();
        int images = 0;
        try (CqlSession session = settings.openSession()) {
            for (String keyspace : settings.keyspaces()) {
                if (session.getMetadata().getKeyspace(keyspace).isEmpty()) {
                    continue;
                }
                ImageEraser.Report report =
                        new ImageEraser(session, keyspace).erase(selection, dryRun);
                images += report.imageIds().size();
                report.imageIds()
                        .forEach(
                                id ->
                                        System.out.println(
                                                (dryRun ? "would erase " : "erased ") + id));
                System.out.printf(
                        "%s: %s %d image(s), %d listing row(s), %d blob(s); %d blob(s) kept for"
                                + " other rows%n",
                        keyspace,
                        dryRun ? "would erase" : "erased",
                        report.imageIds().size(),
                        report.listings(),
                        report.blobsDeleted(),
                        report.blobsKeptForOtherRows());
            }
        }
        if (images == 0) {
            System.err.println("No image matched.");
            return 1;
        }
        return 0;
    }
}
