package dev.channelanalytics.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a test asks the local stack's Prometheus through its HTTP API: the scrape targets' health,
 * the metric names it holds, the alerts' states; and the metric names the repository's dashboards
 * and rules query, so that a test can check each against a live scrape.
 */
final class StackPrometheus {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> PROMQL_WORDS =
      Set.of("and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring");

  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  StackPrometheus(URI base) {
    this.base = base;
  }

  /** Each scrape job's health ({@code up}, {@code down}, {@code unknown}), by job name. */
  java.util.Map<String, String> targets() throws Exception {
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    for (JsonNode t : api("/api/v1/targets?state=active").path("activeTargets")) {
      out.put(t.path("labels").path("job").asText(), t.path("health").asText());
    }
    return out;
  }

  /** Every metric name Prometheus holds a series of. */
  Set<String> metricNames() throws Exception {
    Set<String> out = new TreeSet<>();
    api("/api/v1/label/__name__/values").forEach(n -> out.add(n.asText()));
    return out;
  }

  /**
   * The state ({@code pending}, {@code firing}) of the alert {@code name} whose label {@code label}
   * is {@code value}; {@code inactive} when there is none.
   */
  String alertState(String name, String label, String value) throws Exception {
    for (JsonNode a : api("/api/v1/alerts").path("alerts")) {
      JsonNode labels = a.path("labels");
      if (labels.path("alertname").asText().equals(name)
          && labels.path(label).asText().equals(value)) {
        return a.path("state").asText();
      }
    }
    return "inactive";
  }

  /** The value of the instant query {@code promql}'s first series, or NaN when it has none. */
  double query(String promql) throws Exception {
    JsonNode result =
        api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
            .path("result");
    return result.isEmpty() ? Double.NaN : result.get(0).path("value").get(1).asDouble();
  }

  private JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve(pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200 || !body.path("status").asText().equals("success")) {
      throw new IllegalStateException(
          pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
    }
    return body.path("data");
  }

  /** The metric names the queries of a Grafana dashboard's panels read. */
  static Set<String> metricsOfDashboard(Path dashboard) throws IOException {
    Set<String> out = new TreeSet<>();
    for (JsonNode panel : JSON.readTree(dashboard.toFile()).path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        out.addAll(metricsOf(target.path("expr").asText()));
      }
    }
    return out;
  }

  /** The metric names the expressions of a Prometheus rules file read. */
  static Set<String> metricsOfRules(Path rules) throws IOException {
    Set<String> out = new TreeSet<>();
    Matcher m =
        Pattern.compile("(?ms)^\\s*expr: \\|?(.*?)\\n\\s*(?:for|labels):")
            .matcher(Files.readString(rules));
    while (m.find()) {
      out.addAll(metricsOf(m.group(1)));
    }
    return out;
  }

  /**
   * The metric names in a PromQL expression: its identifiers less label matchers, ranges, strings,
   * grouping clauses, functions and keywords.
   */
  static Set<String> metricsOf(String promql) {
    String s =
        promql
            .replaceAll("\"[^\"]*\"", "\"\"")
            .replaceAll("\\{[^}]*}", " ")
            .replaceAll("\\[[^]]*]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> out = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String word = m.group();
      boolean function = s.substring(m.end()).stripLeading().startsWith("(");
      if (!function && !PROMQL_WORDS.contains(word)) {
        out.add(word);
      }
    }
    return out;
  }

  /**
   * A self-check of {@link #metricsOf}, so that a check built on it cannot pass by reading none.
   */
  static void checkExtraction() {
    List<String> expected = List.of("a_total", "b_seconds_count", "c", "up");
    Set<String> got =
        metricsOf(
            "sum by (job) (rate(a_total{x=\"y\"}[5m])) / rate(b_seconds_count[1h] offset 10m)"
                + " > on (job) group_left () c and up{job=~\"channel-.*\"} == 0 and 1e3 > 2");
    if (!got.equals(new TreeSet<>(expected))) {
      throw new AssertionError("metricsOf read " + got + ", expected " + expected);
    }
  }
}
