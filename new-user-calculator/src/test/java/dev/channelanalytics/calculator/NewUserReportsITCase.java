package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulator traffic through parser, sharder and calculator: the API's minute and hour answers are
 * exactly the reference model's, also after logs whose events are days old move users to earlier
 * minutes.
 */
class NewUserReportsITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final long START = 1_795_428_000_000L;

  @TempDir Path dir;

  @Test
  void minuteAndHourAnswersEqualTheOracleAlsoAfterAReplayOfDaysOldLogs() throws Exception {
    try (PipelineTestRun run = new PipelineTestRun(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      run.publish(41, 3_000, START);
      run.startPipeline();
      awaitApiEqualsOracle(run, Duration.ofMinutes(3));

      // The same devices, three days earlier: every user moves to an earlier minute and day.
      run.publish(41, 3_000, START - Duration.ofDays(3).toMillis());
      awaitApiEqualsOracle(run, Duration.ofMinutes(2));
    }
  }

  @Test
  void badParametersAnswer400NamingTheParameterAndUnknownProductsAnEmptyList() throws Exception {
    try (PipelineTestRun run = new PipelineTestRun(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      run.startCalculatorOnly();
      HttpResponse<String> missing =
          get(run.api(), "/api/v1/new-users?product=p&granularity=hour&from=2026-11-23T00:00:00Z");
      assertThat(missing.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(missing.body()).get("parameter").asText()).isEqualTo("to");
      HttpResponse<String> badGranularity =
          get(
              run.api(),
              "/api/v1/new-users?product=p&granularity=week&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z");
      assertThat(badGranularity.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(badGranularity.body()).get("parameter").asText())
          .isEqualTo("granularity");
      HttpResponse<String> badInstant =
          get(run.api(), "/api/v1/new-users/cumulative?product=p&at=yesterday");
      assertThat(JSON.readTree(badInstant.body()).get("parameter").asText()).isEqualTo("at");
      HttpResponse<String> unknown =
          get(
              run.api(),
              "/api/v1/new-users?product=nope&granularity=day&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z");
      assertThat(unknown.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(unknown.body()).get("rows")).isEmpty();
    }
  }

  private static void awaitApiEqualsOracle(PipelineTestRun run, Duration timeout) throws Exception {
    for (ChronoUnit unit : new ChronoUnit[] {ChronoUnit.MINUTES, ChronoUnit.HOURS}) {
      Map<Bucket, Long> expected = run.oracle.newUsers(unit, ZoneOffset.UTC);
      assertThat(expected).isNotEmpty();
      try {
        Poll.until(
            "the API's " + unit + " to equal the oracle's",
            timeout,
            () -> answers(run, unit, expected).equals(expected));
      } catch (IllegalStateException e) {
        assertThat(answers(run, unit, expected)).isEqualTo(expected);
      }
    }
  }

  /** The API's rows for every product of the expected answer, as the oracle's map. */
  private static Map<Bucket, Long> answers(
      PipelineTestRun run, ChronoUnit unit, Map<Bucket, Long> expected) throws Exception {
    Set<String> products = new TreeSet<>();
    expected.keySet().forEach(b -> products.add(b.product()));
    Map<Bucket, Long> out = new TreeMap<>();
    String granularity = unit == ChronoUnit.MINUTES ? "minute" : "hour";
    Instant from = Instant.ofEpochMilli(START).minus(Duration.ofDays(8));
    Instant to = Instant.ofEpochMilli(START).plus(Duration.ofDays(3));
    for (String product : products) {
      HttpResponse<String> r =
          get(
              run.api(),
              "/api/v1/new-users?product="
                  + URLEncoder.encode(product, StandardCharsets.UTF_8)
                  + "&granularity="
                  + granularity
                  + "&from="
                  + from
                  + "&to="
                  + to);
      assertThat(r.statusCode()).isEqualTo(200);
      for (JsonNode row : JSON.readTree(r.body()).get("rows")) {
        assertThat(row.get("status").asText()).isEqualTo("provisional");
        out.put(
            new Bucket(
                product, Instant.parse(row.get("bucket").asText()), row.get("channel").asText()),
            row.get("new_users").asLong());
      }
    }
    return out;
  }

  private static HttpResponse<String> get(URI api, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(api.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
