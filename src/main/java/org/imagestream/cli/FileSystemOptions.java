package org.imagestream.cli;

import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import picocli.CommandLine.Option;

/**
 * How the commands that touch an object store (images by reference, offloaded blobs) reach it: the
 * same way a Flink process does, from a Flink configuration directory ({@code config.yaml}: {@code
 * s3.endpoint}, {@code s3.access-key}, ...) and the file system plugins under {@code
 * FLINK_PLUGINS_DIR} (e.g. {@code plugins/s3-fs-hadoop/flink-s3-fs-hadoop-2.2.0.jar}). Secrets stay
 * in the configuration file, never in arguments.
 */
final class FileSystemOptions {
    @Option(
            names = "--flink-conf-dir",
            description =
                    "Flink configuration directory whose file system settings (s3.endpoint,"
                            + " s3.access-key, ...) reach the object store; default: the"
                            + " FLINK_CONF_DIR environment variable. Plugins are loaded from"
                            + " FLINK_PLUGINS_DIR (default: ./plugins).")
    Path flinkConfDir;

    /** Initialises Flink's file systems; without a configuration directory, file:// only. */
    void initialize() {
        String directory =
                flinkConfDir != null ? flinkConfDir.toString() : System.getenv("FLINK_CONF_DIR");
        Configuration configuration =
                directory == null
                        ? new Configuration()
                        : GlobalConfiguration.loadConfiguration(directory);
        FileSystem.initialize(
                configuration, PluginUtils.createPluginManagerFromRootFolder(configuration));
    }
}
