package org.imagestream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code imagestream} command line: {@code demo}, {@code train}. */
@Command(
        name = "imagestream",
        mixinStandardHelpOptions = true,
        version = "imagestream 0.1.0",
        description =
                "Classify images from Kafka with TensorFlow in Flink and store them in Cassandra.",
        subcommands = {
            DemoCommand.class,
            ClusterCommand.class,
            SamplesCommand.class,
            ImportTfjsCommand.class,
            TrainCommand.class,
            SchemaCommand.class,
            QueryCommand.class,
            EraseCommand.class,
            DeadLettersCommand.class,
            ProduceCommand.class,
            CommandLine.HelpCommand.class
        })
public final class ImagestreamCli {
    public static void main(String[] args) {
        int exitCode = new CommandLine(new ImagestreamCli()).execute(args);
        System.exit(exitCode);
    }
}
