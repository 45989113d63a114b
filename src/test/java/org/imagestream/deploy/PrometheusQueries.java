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
