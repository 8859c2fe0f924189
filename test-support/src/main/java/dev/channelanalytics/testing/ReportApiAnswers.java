package dev.channelanalytics.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The report API's answers (contract section 8) in the reference model's shapes, so a test compares
 * the API with {@code NewUserOracle} in one line.
 */
public final class ReportApiAnswers {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final URI api;

  public ReportApiAnswers(URI api) {
    this.api = api;
  }

  /** One row of an answer, with its status. */
  public record Row(Bucket bucket, long newUsers, String status) {}

  /**
   * New users per bucket of every product that has one in {@code like} (the model's answer), over
   * [from, to) in buckets of {@code unit}.
   */
  public Map<Bucket, Long> newUsers(
      Map<Bucket, Long> like, ChronoUnit unit, Instant from, Instant to) throws IOException {
    Map<Bucket, Long> out = new TreeMap<>();
    for (String product : products(like)) {
      for (Row r : rows(product, unit, from, to)) {
        out.put(r.bucket(), r.newUsers());
      }
    }
    return out;
  }

  /** The rows of one product over [from, to) in buckets of {@code unit}. */
  public java.util.List<Row> rows(String product, ChronoUnit unit, Instant from, Instant to)
      throws IOException {
    JsonNode answer =
        get(
            "/api/v1/new-users?product="
                + encode(product)
                + "&granularity="
                + granularity(unit)
                + "&from="
                + from
                + "&to="
                + to);
    java.util.List<Row> rows = new java.util.ArrayList<>();
    for (JsonNode row : answer.get("rows")) {
      rows.add(
          new Row(
              new Bucket(
                  product, Instant.parse(row.get("bucket").asText()), row.get("channel").asText()),
              row.get("new_users").asLong(),
              row.get("status").asText()));
    }
    return rows;
  }

  /** The time zone the API's hour and day buckets are in. */
  public String timeZone(String product, Instant from, Instant to) throws IOException {
    return get("/api/v1/new-users?product="
            + encode(product)
            + "&granularity=day&from="
            + from
            + "&to="
            + to)
        .get("tz")
        .asText();
  }

  /**
   * Cumulative new users per channel of a product at {@code at}.
   *
   * @throws IllegalStateException when the answer's total is not the sum of its rows
   */
  public Map<String, Long> cumulative(String product, Instant at) throws IOException {
    JsonNode answer = get("/api/v1/new-users/cumulative?product=" + encode(product) + "&at=" + at);
    Map<String, Long> out = new TreeMap<>();
    long total = 0;
    for (JsonNode row : answer.get("rows")) {
      out.put(row.get("channel").asText(), row.get("new_users").asLong());
      total += row.get("new_users").asLong();
    }
    if (answer.get("total").asLong() != total) {
      throw new IllegalStateException("cumulative total is not the sum of its rows: " + answer);
    }
    return out;
  }

  /** The products of a model's answer. */
  public static Set<String> products(Map<Bucket, Long> answer) {
    Set<String> products = new TreeSet<>();
    answer.keySet().forEach(b -> products.add(b.product()));
    return products;
  }

  private static String granularity(ChronoUnit unit) {
    return switch (unit) {
      case MINUTES, HOURS, DAYS ->
          unit.name().substring(0, unit.name().length() - 1).toLowerCase(Locale.ROOT);
      default -> throw new IllegalArgumentException("no report granularity of " + unit);
    };
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private JsonNode get(String path) throws IOException {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(api.resolve(path)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "GET " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
