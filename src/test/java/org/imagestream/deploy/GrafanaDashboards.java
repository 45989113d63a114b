package org.imagestream.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/** Reads every Prometheus query out of the provisioned Grafana dashboards. */
final class GrafanaDashboards {
    private GrafanaDashboards() {}

    /** One target of one panel, with Grafana's variables replaced by what the panel would send. */
    record PanelQuery(String dashboard, String panel, String expression) {
        @Override
        public String toString() {
            return dashboard + " / " + panel + ": " + expression;
        }
    }

    static List<PanelQuery> load(Path directory) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<PanelQuery> queries = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode dashboard = json.readTree(file.toFile());
                collect(dashboard.path("title").asText(file.toString()), dashboard, queries);
            }
        }
        return queries;
    }

    private static void collect(String dashboard, JsonNode node, List<PanelQuery> queries) {
        for (JsonNode panel : node.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expression = target.path("expr").asText("");
                if (!expression.isBlank()) {
                    queries.add(
                            new PanelQuery(
                                    dashboard,
                                    panel.path("title").asText(),
                                    substituteVariables(expression)));
                }
            }
            collect(dashboard, panel, queries); // panels nested in collapsed rows
        }
    }

    /** Grafana's built-in intervals and the dashboards' "all values" selection of variables. */
    static String substituteVariables(String expression) {
        return expression
                .replace("$__rate_interval", "1m")
                .replace("$__interval", "10s")
                .replace("$__range", "5m")
                .replace("${domain:regex}", ".*")
                .replace("$domain", ".*");
    }
}
