package org.imagestream.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.imagestream.config.CassandraConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver settings' layers: the {@code cassandra.*} options over a driver {@code
 * application.conf} ({@code cassandra.driver-config-file}) over the job's own driver defaults over
 * the driver's reference.conf. Expected values are the literals written here, not the code's.
 */
class CassandraSettingsTest {

    private static DriverExecutionProfile profile(CassandraSettings settings) {
        return settings.configLoader().getInitialConfig().getDefaultProfile();
    }

    @Test
    void shouldApplyEverySettingOfTheDriverConfigFileTheOptionsDoNotSet(@TempDir Path dir)
            throws Exception {
        Path file =
                Files.writeString(
                        dir.resolve("application.conf"),
                        "datastax-java-driver {\n"
                                + "  basic.request.consistency = ONE\n"
                                + "  advanced.connection.pool.local.size = 3\n"
                                + "  advanced.heartbeat.interval = 7 seconds\n"
                                + "  advanced.netty.io-group.shutdown.quiet-period = 1\n"
                                + "}\n");
        // Through the job's option keys, as the job and the CLI's --driver-config pass them.
        CassandraSettings settings =
                CassandraConfig.builder(
                                Configuration.fromMap(
                                        Map.of(
                                                "cassandra.consistency",
                                                "LOCAL_QUORUM",
                                                "cassandra.driver-config-file",
                                                file.toString())))
                        .build();

        DriverExecutionProfile profile = profile(settings);
        // Settings only the file sets: the file's values, not the driver's defaults (1, 30 s).
        assertThat(profile.getInt(DefaultDriverOption.CONNECTION_POOL_LOCAL_SIZE)).isEqualTo(3);
        assertThat(profile.getDuration(DefaultDriverOption.HEARTBEAT_INTERVAL).getSeconds())
                .isEqualTo(7);
        // With a file, the file decides what the options do not set: its value, and the
        // driver's default (2 s) where it sets none.
        assertThat(profile.getInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD)).isEqualTo(1);
        assertThat(profile.getInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD))
                .isEqualTo(2);
        // An option given to the job: the option, whatever the file says.
        assertThat(profile.getString(DefaultDriverOption.REQUEST_CONSISTENCY))
                .isEqualTo("LOCAL_QUORUM");
    }

    @Test
    void shouldShortenNettysQuietPeriodWithoutADriverConfigFile() {
        DriverExecutionProfile profile = profile(CassandraSettings.builder().build());
        // 200 ms instead of the driver's 2 s, the 15 s timeout unchanged.
        for (DefaultDriverOption[] group :
                new DefaultDriverOption[][] {
                    {
                        DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD,
                        DefaultDriverOption.NETTY_IO_SHUTDOWN_TIMEOUT,
                        DefaultDriverOption.NETTY_IO_SHUTDOWN_UNIT
                    },
                    {
                        DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD,
                        DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_TIMEOUT,
                        DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_UNIT
                    }
                }) {
            TimeUnit unit = TimeUnit.valueOf(profile.getString(group[2]));
            assertThat(unit.toMillis(profile.getInt(group[0]))).isEqualTo(200);
            assertThat(unit.toMillis(profile.getInt(group[1]))).isEqualTo(15_000);
        }
        // Everything else stays the driver's default.
        assertThat(profile.getInt(DefaultDriverOption.CONNECTION_POOL_LOCAL_SIZE)).isEqualTo(1);
    }
}
