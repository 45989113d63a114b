package org.imagestream.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/** Instant queries against Prometheus' HTTP API. */
final class PrometheusQueries {
    private final String baseUrl;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    PrometheusQueries(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** Number of series the expression returns now; fails on a query Prometheus rejects. */
    int seriesCount(String expression) throws IOException, InterruptedException {
        JsonNode response =
                get("/api/v1/query?query=" + URLEncoder.encode(expression, StandardCharsets.UTF_8));
        if (!"success".equals(response.path("status").asText())) {
            throw new AssertionError("Prometheus rejected '" + expression + "': " + response);
        }
        return response.path("data").path("result").size();
    }

    /** The value of each series the expression returns now (NaN and infinities as such). */
    List<Double> values(String expression) throws IOException, InterruptedException {
        JsonNode response =
                get("/api/v1/query?query=" + URLEncoder.encode(expression, StandardCharsets.UTF_8));
        if (!"success".equals(response.path("status").asText())) {
            throw new AssertionError("Prometheus rejected '" + expression + "': " + response);
        }
        List<Double> values = new ArrayList<>();
        for (JsonNode series : response.path("data").path("result")) {
            // [timestamp, "value"]; Prometheus spells NaN and infinities as NaN, +Inf, -Inf.
            String text = series.path("value").path(1).asText();
            values.add(
                    switch (text) {
                        case "+Inf" -> Double.POSITIVE_INFINITY;
                        case "-Inf" -> Double.NEGATIVE_INFINITY;
                        default -> Double.parseDouble(text);
                    });
        }
        return values;
    }

    /** The state of an alerting rule now: "firing", "pending", or "inactive" when not listed. */
    String alertState(String alertName) throws IOException, InterruptedException {
        for (JsonNode alert : get("/api/v1/alerts").path("data").path("alerts")) {
            if (alertName.equals(alert.path("labels").path("alertname").asText())) {
                return alert.path("state").asText();
            }
        }
        return "inactive";
    }

    /** Names of the alerting rules Prometheus has loaded. */
    List<String> alertRuleNames() throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        for (JsonNode group : get("/api/v1/rules?type=alert").path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                names.add(rule.path("name").asText());
            }
        }
        return names;
    }

    List<String> metricNames() throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        get("/api/v1/label/__name__/values").path("data").forEach(n -> names.add(n.asText()));
        return names;
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(baseUrl + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
        return json.readTree(response.body());
    }
}
