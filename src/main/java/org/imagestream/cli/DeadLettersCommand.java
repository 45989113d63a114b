package org.imagestream.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.imagestream.config.JobOptions;
import org.imagestream.ingest.DeadLetterReplay;
import org.imagestream.ingest.DeadLetterReplay.Letter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dead-letters}: list, show and replay the job's dead letters. */
@Command(
        name = "dead-letters",
        mixinStandardHelpOptions = true,
        description = "List, show and replay dead letters (committed ones only).",
        subcommands = {
            DeadLettersCommand.ListLetters.class,
            DeadLettersCommand.Show.class,
            DeadLettersCommand.Replay.class
        })
final class DeadLettersCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.err.println("Choose a subcommand: list, show, replay (see --help).");
        return 2;
    }

    /** Where the letters are and which ones a subcommand takes. */
    static final class Selection {
        @Mixin KafkaConnectionOptions kafka;

        @Option(
                names = "--topic",
                description = "Dead-letter topic (default: the job's kafka.dead-letter-topic).")
        String topic = JobOptions.DEAD_LETTER_TOPIC.defaultValue();

        @Option(names = "--reason", description = "Only this reason (repeatable).")
        List<String> reasons = new ArrayList<>();

        @Option(names = "--image-id", description = "Only this image id (repeatable).")
        List<String> imageIds = new ArrayList<>();

        @Option(names = "--from", description = "Dead-lettered at or after (ISO-8601).")
        Instant from;

        @Option(names = "--to", description = "Dead-lettered before (ISO-8601).")
        Instant to;

        Predicate<Letter> filter() {
            return letter ->
                    (reasons.isEmpty() || reasons.contains(letter.reason()))
                            && (imageIds.isEmpty() || imageIds.contains(letter.imageId()))
                            && (from == null || !letter.time().isBefore(from))
                            && (to == null || letter.time().isBefore(to));
        }

        DeadLetterReplay replay() throws java.io.IOException {
            return new DeadLetterReplay(kafka.properties(), topic);
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "One line per dead letter: position, time, reason, image id, message.")
    static final class ListLetters implements Callable<Integer> {
        @Mixin Selection selection;

        @Option(names = "--limit", defaultValue = "1000", description = "Most lines.")
        int limit;

        @Override
        public Integer call() throws Exception {
            List<Letter> letters = selection.replay().read(selection.filter());
            letters.stream()
                    .limit(limit)
                    .forEach(
                            letter ->
                                    System.out.printf(
                                            "%-8s %s  %-20s %-40s %s%n",
                                            letter.position(),
                                            letter.time(),
                                            letter.reason(),
                                            letter.imageId(),
                                            abbreviate(letter.message())));
            System.out.printf("%d dead letter(s)%n", letters.size());
            return 0;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Every header of the selected dead letters; --output writes the bytes.")
    static final class Show implements Callable<Integer> {
        @Mixin Selection selection;

        @Option(
                names = "--output",
                description = "Directory for the original bytes, one owner-only file per letter.")
        Path output;

        @Override
        public Integer call() throws Exception {
            List<Letter> letters = selection.replay().read(selection.filter());
            for (Letter letter : letters) {
                System.out.printf(
                        "position   %s%ntime       %s%nreason     %s%nstage      %s%nimage      %s"
                                + "%norigin     %s%nbytes      %d%nmessage    %s%n",
                        letter.position(),
                        letter.time(),
                        letter.reason(),
                        letter.stage(),
                        letter.imageId(),
                        letter.origin(),
                        letter.bytes().length,
                        letter.message());
                if (letter.omitted() != null) {
                    System.out.printf("omitted    %s%n", letter.omitted());
                }
                for (Map.Entry<String, String> header : letter.originalHeaders().entrySet()) {
                    System.out.printf("header     %s=%s%n", header.getKey(), header.getValue());
                }
                if (output != null && letter.bytes().length > 0) {
                    Path file = output.resolve(letter.partition() + "-" + letter.offset() + ".bin");
                    java.nio.file.Files.createDirectories(output);
                    OwnerOnlyFile.write(file, letter.bytes());
                    System.out.printf("written    %s%n", file);
                }
                System.out.println();
            }
            System.out.printf("%d dead letter(s)%n", letters.size());
            return letters.isEmpty() ? 1 : 0;
        }
    }

    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            description = {
                "Republish the selected dead letters to the topics they came from, after the cause"
                        + " was fixed, exactly once: a letter replayed before is skipped (the"
                        + " replay log is <topic>.replayed, written in the same Kafka transaction).",
                "Republished records keep their headers and carry dead-letter-replay-of."
            })
    static final class Replay implements Callable<Integer> {
        @Mixin Selection selection;

        @Option(names = "--dry-run", description = "Print what would be replayed; send nothing.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            DeadLetterReplay.Outcome outcome =
                    selection.replay().replay(selection.filter(), dryRun);
            for (Letter letter : outcome.replayed()) {
                System.out.printf(
                        "%s %s %s -> %s%n",
                        dryRun ? "would replay" : "replayed",
                        letter.position(),
                        letter.imageId(),
                        letter.originTopic());
            }
            for (Letter letter : outcome.alreadyReplayed()) {
                System.out.printf("already replayed %s %s%n", letter.position(), letter.imageId());
            }
            outcome.refused()
                    .forEach(
                            (letter, why) ->
                                    System.out.printf(
                                            "not replayable %s %s: %s%n",
                                            letter.position(), letter.imageId(), why));
            System.out.printf(
                    "%d %s, %d already replayed, %d not replayable%n",
                    outcome.replayed().size(),
                    dryRun ? "to replay" : "replayed",
                    outcome.alreadyReplayed().size(),
                    outcome.refused().size());
            return 0;
        }
    }

    private static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        String line = text.replace('\n', ' ');
        return line.length() <= 100 ? line : line.substring(0, 100) + "...";
    }
}
