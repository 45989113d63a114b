package org.imagestream.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.imagestream.decode.DecodeException;
import org.imagestream.decode.Previews;
import org.imagestream.model.Domain;
import org.imagestream.storage.CassandraSettings;
import org.imagestream.storage.ResultReader;
import org.imagestream.storage.ResultReader.Listing;
import org.imagestream.storage.StoredResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code query}: read results and blobs back from Cassandra. */
@Command(
        name = "query",
        mixinStandardHelpOptions = true,
        description = "Read results and images back from Cassandra.",
        subcommands = {
            QueryCommand.Get.class,
            QueryCommand.Export.class,
            QueryCommand.ListCommand.class,
            QueryCommand.ContactSheet.class
        })
final class QueryCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("Choose a subcommand: get, export, list, contact-sheet (see --help).");
        return 2;
    }

    /** An image's result and the reader of the keyspace it was found in. */
    record Found(ResultReader reader, StoredResult result) {}

    /**
     * Looks an image id up in every keyspace the settings name that exists (one, or one per domain
     * with {@code cassandra.keyspace-per-domain}).
     */
    static Optional<Found> find(CqlSession session, CassandraSettings settings, String imageId) {
        for (String keyspace : settings.keyspaces()) {
            if (session.getMetadata().getKeyspace(keyspace).isEmpty()) {
                continue;
            }
            ResultReader reader = new ResultReader(session, keyspace);
            Optional<StoredResult> result = reader.find(imageId);
            if (result.isPresent()) {
                return Optional.of(new Found(reader, result.get()));
            }
        }
        return Optional.empty();
    }

    /** The domain and top label whose results a subcommand reads. */
    static final class LabelSelection {
        @Option(
                names = "--domain",
                required = true,
                description = "social, remote-sensing or medical.")
        String domain;

        @Option(names = "--label", required = true, description = "Top label.")
        String label;
    }

    @Command(
            name = "get",
            mixinStandardHelpOptions = true,
            description = "Print the result of one image id.")
    static final class Get implements Callable<Integer> {
        @Mixin CassandraConnectionOptions connection;

        @Parameters(
                paramLabel = "IMAGE_ID",
                description = "topic-partition-offset@topic id, e.g. images-social-0-42@Xy3kQ9aB")
        String imageId;

        @Override
        public Integer call() {
            CassandraSettings settings = connection.settings().build();
            try (CqlSession session = settings.openSession()) {
                Optional<Found> found = find(session, settings, imageId);
                if (found.isEmpty()) {
                    System.err.println("No result for image " + imageId);
                    return 1;
                }
                ResultReader reader = found.get().reader();
                StoredResult r = found.get().result();
                System.out.printf(
                        "image      %s%ndomain     %s%nsource     %s%ncontent    %s (%s)%n"
                                + "geometry   %dx%d%nmodel      %s:%s%nshard      %s%nlabels     %s%nscores     %s%n"
                                + "dedup      %s%nreceived   %s%nclassified %s%n",
                        r.imageId(),
                        r.domain(),
                        r.sourceId(),
                        r.contentSha256(),
                        r.contentType(),
                        r.width(),
                        r.height(),
                        r.modelName(),
                        r.modelVersion(),
                        r.shard(),
                        r.labels(),
                        r.scores(),
                        r.deduplicated(),
                        r.receivedAt(),
                        r.classifiedAt());
                r.extras().forEach((key, value) -> System.out.printf("%-10s %s%n", key, value));
                for (ResultReader.StoredPart part : reader.parts(imageId)) {
                    System.out.printf(
                            "part %-5d %s %s %s%n",
                            part.part(), part.labels(), part.scores(), part.extras());
                }
                return 0;
            }
        }
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            description = "Reassemble an image's blob, verify its SHA-256 and write it to a file.")
    static final class Export implements Callable<Integer> {
        @Mixin CassandraConnectionOptions connection;

        /** Offloaded blobs are read from the object store (storage.offload-uri). */
        @Mixin FileSystemOptions fileSystems;

        @Parameters(
                paramLabel = "IMAGE_ID",
                description = "topic-partition-offset@topic id, e.g. images-social-0-42@Xy3kQ9aB")
        String imageId;

        @Option(names = "--output", required = true, description = "File to write.")
        Path output;

        @Override
        public Integer call() throws IOException {
            fileSystems.initialize();
            CassandraSettings settings = connection.settings().build();
            try (CqlSession session = settings.openSession()) {
                Optional<Found> found = find(session, settings, imageId);
                if (found.isEmpty()) {
                    System.err.println("No result for image " + imageId);
                    return 1;
                }
                Optional<StoredResult> result = Optional.of(found.get().result());
                byte[] blob = found.get().reader().readBlob(result.get().contentSha256());
                // Owner-only: the blob may be a (de-identified) medical image.
                OwnerOnlyFile.write(output, blob);
                System.out.printf(
                        "Wrote %d bytes to %s (SHA-256 %s verified)%n",
                        blob.length, output, result.get().contentSha256());
                return 0;
            }
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List results of one domain and top label in a time range, newest first.")
    static final class ListCommand implements Callable<Integer> {
        @Mixin CassandraConnectionOptions connection;

        @Mixin LabelSelection selection;

        @Option(
                names = "--from",
                description = "ISO-8601 instant, inclusive (default: 7 days ago).")
        Instant from;

        @Option(names = "--to", description = "ISO-8601 instant, exclusive (default: now).")
        Instant to;

        @Option(
                names = "--limit",
                defaultValue = "100",
                description = "Most rows (default: ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            CassandraSettings settings = connection.settings().build();
            Instant end = to != null ? to : Instant.now().plusSeconds(1);
            Instant start = from != null ? from : end.minus(Duration.ofDays(7));
            try (CqlSession session = settings.openSession()) {
                List<Listing> rows =
                        new ResultReader(
                                        session, settings.keyspace(Domain.fromId(selection.domain)))
                                .list(
                                        Domain.fromId(selection.domain).id(),
                                        selection.label,
                                        start,
                                        end,
                                        limit);
                for (Listing row : rows) {
                    System.out.printf(
                            "%s  %-24s %.3f  %-30s model %s%n",
                            row.receivedAt(),
                            row.imageId(),
                            row.topScore(),
                            row.sourceId(),
                            row.modelVersion());
                }
                System.out.printf("%d result(s)%n", rows.size());
                return 0;
            }
        }
    }

    @Command(
            name = "contact-sheet",
            mixinStandardHelpOptions = true,
            description = "Render the latest N images of a label, with their scores, into one PNG.")
    static final class ContactSheet implements Callable<Integer> {
        private static final int TILE = 160;
        private static final int CAPTION = 34;

        @Mixin CassandraConnectionOptions connection;

        @Mixin LabelSelection selection;

        @Option(
                names = "--latest",
                defaultValue = "12",
                description = "Number of images (default: ${DEFAULT-VALUE}).")
        int latest;

        @Option(
                names = "--days",
                defaultValue = "30",
                description = "How far back to look (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--output", required = true, description = "PNG file to write.")
        Path output;

        @Override
        public Integer call() throws IOException {
            CassandraSettings settings = connection.settings().build();
            Domain d = Domain.fromId(selection.domain);
            String label = selection.label;
            Instant end = Instant.now().plusSeconds(1);
            try (CqlSession session = settings.openSession()) {
                ResultReader reader = new ResultReader(session, settings.keyspace(d));
                List<Listing> rows =
                        reader.list(d.id(), label, end.minus(Duration.ofDays(days)), end, latest);
                if (rows.isEmpty()) {
                    System.err.println(
                            "No "
                                    + d.id()
                                    + " images labelled "
                                    + label
                                    + " in the last "
                                    + days
                                    + " days");
                    return 1;
                }
                int columns = Math.min(4, rows.size());
                int gridRows = (rows.size() + columns - 1) / columns;
                BufferedImage sheet =
                        new BufferedImage(
                                columns * TILE,
                                gridRows * (TILE + CAPTION),
                                BufferedImage.TYPE_INT_RGB);
                Graphics2D g = sheet.createGraphics();
                try {
                    g.setColor(Color.WHITE);
                    g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                    for (int i = 0; i < rows.size(); i++) {
                        Listing row = rows.get(i);
                        int x = (i % columns) * TILE;
                        int y = (i / columns) * (TILE + CAPTION);
                        try {
                            g.drawImage(
                                    Previews.render(
                                            d, reader.readBlob(row.contentSha256()), TILE - 8),
                                    x + 4,
                                    y + 4,
                                    null);
                        } catch (DecodeException | IOException e) {
                            g.setColor(Color.RED);
                            g.drawString("unreadable: " + e.getMessage(), x + 6, y + TILE / 2);
                        }
                        g.setColor(Color.BLACK);
                        g.drawString(
                                String.format("%s %.2f", label, row.topScore()),
                                x + 6,
                                y + TILE + 12);
                        g.drawString(
                                abbreviate(row.sourceId() != null ? row.sourceId() : row.imageId()),
                                x + 6,
                                y + TILE + 26);
                    }
                } finally {
                    g.dispose();
                }
                java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
                ImageIO.write(sheet, "png", png);
                OwnerOnlyFile.write(output, png.toByteArray());
                System.out.printf("Wrote %d image(s) to %s%n", rows.size(), output);
                return 0;
            }
        }

        private static String abbreviate(String text) {
            return text.length() <= 26
                    ? text
                    : text.substring(0, 12) + "…" + text.substring(text.length() - 12);
        }
    }
}
