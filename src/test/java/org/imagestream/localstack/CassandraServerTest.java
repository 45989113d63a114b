package org.imagestream.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CassandraServerTest {
    private static final List<String> YAML =
            List.of(
                    "cluster_name: imagestream-local",
                    "memtable:",
                    "  configurations:",
                    "    skiplist:",
                    "      class_name: SkipListMemtable",
                    "memtable_heap_space: 48MiB",
                    "disk_access_mode: standard");

    @Test
    void aSettingReplacesItsTopLevelLineInPlace() {
        assertThat(CassandraServer.withSettings(YAML, Map.of("memtable_heap_space", "128MiB")))
                .containsExactly(
                        "cluster_name: imagestream-local",
                        "memtable:",
                        "  configurations:",
                        "    skiplist:",
                        "      class_name: SkipListMemtable",
                        "memtable_heap_space: 128MiB",
                        "disk_access_mode: standard");
    }

    @Test
    void aNewSettingIsAppendedAndANestedKeyOfTheSameNameIsLeftAlone() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("commitlog_disk_access_mode", "direct");
        settings.put("class_name", "TrieMemtable");
        assertThat(CassandraServer.withSettings(YAML, settings))
                .containsSubsequence(YAML)
                .endsWith("commitlog_disk_access_mode: direct", "class_name: TrieMemtable")
                .hasSize(YAML.size() + 2);
    }

    @Test
    void noSettingsLeaveTheLinesAsTheyAre() {
        assertThat(CassandraServer.withSettings(YAML, Map.of())).isEqualTo(YAML);
    }
}
