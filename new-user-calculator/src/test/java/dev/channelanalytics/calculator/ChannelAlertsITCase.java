package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channel anomaly alerts end to end: first sightings written as the sharder writes them, the
 * reports the service computes from them, the alerts it judges from those reports every second, and
 * a real HTTP receiver (the JDK's server) at {@code calculator.alert-webhook-url}. The service
 * judges the windows at a fixed instant (25 minutes into an hour two hours ago), so an hour
 * boundary during the test changes nothing. Each channel has steady traffic in the judged hour and
 * the hour after it on the day itself and on each of the 7 days before.
 */
class ChannelAlertsITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final List<String> CHANNELS =
      List.of("huawei_store", "xiaomi_store", "organic", "oppo_store");
  private static final String SPIKING = "xiaomi_store";
  private static final Pattern RUNS =
      Pattern.compile("(?m)^calculator_job_runs_seconds_count\\{([^}]*)\\} ([0-9.E]+)$");

  @TempDir Path dir;

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String prefix = "fs-" + suffix + "-";
  private final String product = "app-" + suffix;

  /** What the webhook receiver got: every request's body, and those it answered 2xx. */
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private final List<JsonNode> accepted = new CopyOnWriteArrayList<>();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private HttpServer receiver;

  /** The instant the service judges at; the judged hour is the hour before it. */
  private final Instant at =
      Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS).plusSeconds(25 * 60);

  private final Instant judgedHour = at.truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hooks/channel-alerts",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          requests.add(body);
          int status = failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : 204;
          if (status == 204) {
            accepted.add(JSON.readTree(body));
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private ChannelConfig config() {
    return CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix)
        .with(Setting.CALCULATOR_PORT, "0")
        .with(Setting.CALCULATOR_ALERT_INTERVAL, "PT1S")
        .with(
            Setting.CALCULATOR_ALERT_WEBHOOK_URL,
            "http://127.0.0.1:"
                + receiver.getAddress().getPort()
                + "/hooks/channel-alerts?token=secret-"
                + suffix);
  }

  private NewUserCalculatorService start() throws Exception {
    return NewUserCalculatorService.start(
        CalculatorSettings.from(config()), Clock.fixed(at, ZoneOffset.UTC));
  }

  @Test
  void aSpikeInOneChannelSendsExactlyOneAlertForThatChannelAlsoAfterARestart() throws Exception {
    long written = writeTraffic(true);
    try (NewUserCalculatorService service = start()) {
      URI api = URI.create("http://localhost:" + service.port());
      awaitReports(api, written);
      Poll.until("the spike's alert at the webhook", TIMEOUT, () -> !accepted.isEmpty());
      awaitAnotherEvaluation(api);
      assertThat(requests).hasSize(1);
      JsonNode alert = accepted.get(0);
      assertThat(alert.path("product").asText()).isEqualTo(product);
      assertThat(alert.path("channel").asText()).isEqualTo(SPIKING);
      assertThat(alert.path("kind").asText()).isEqualTo("spike");
      assertThat(alert.path("window").asText()).isEqualTo("hour");
      assertThat(alert.path("from").asText()).isEqualTo(judgedHour.toString());
      assertThat(alert.path("new_users").asLong()).isEqualTo(steady(0) + 150);
      assertThat(alert.path("baseline")).hasSize(7);

      JsonNode listed = alerts(api);
      assertThat(listed).hasSize(1);
      assertThat(listed.get(0).path("id").asText()).isEqualTo(alert.path("id").asText());
      Poll.until(
          "the alert marked delivered",
          TIMEOUT,
          () -> alerts(api).get(0).path("delivery").asText().equals("delivered"));
    }
    // Restarted on the same indices and job store: the same anomaly is the same alert.
    try (NewUserCalculatorService service = start()) {
      URI api = URI.create("http://localhost:" + service.port());
      awaitAnotherEvaluation(api);
      assertThat(requests).hasSize(1);
      assertThat(alerts(api)).hasSize(1);
    }
  }

  @Test
  void steadyTrafficSendsNoAlert() throws Exception {
    long written = writeTraffic(false);
    try (NewUserCalculatorService service = start()) {
      URI api = URI.create("http://localhost:" + service.port());
      awaitReports(api, written);
      awaitAnotherEvaluation(api);
      assertThat(requests).isEmpty();
      assertThat(alerts(api)).isEmpty();
    }
  }

  @Test
  void aReceiverThatFailsAtFirstGetsTheAlertOnceItAnswers() throws Exception {
    failuresLeft.set(2);
    long written = writeTraffic(true);
    try (NewUserCalculatorService service = start()) {
      URI api = URI.create("http://localhost:" + service.port());
      awaitReports(api, written);
      Poll.until("the alert accepted by the webhook", TIMEOUT, () -> !accepted.isEmpty());
      awaitAnotherEvaluation(api);
      assertThat(requests).hasSize(3);
      assertThat(accepted).hasSize(1);
      assertThat(accepted.get(0).path("channel").asText()).isEqualTo(SPIKING);
      Poll.until(
          "the alert marked delivered after three attempts",
          TIMEOUT,
          () -> {
            JsonNode a = alerts(api).get(0);
            return a.path("delivery").asText().equals("delivered")
                && a.path("attempts").asInt() == 3;
          });
      // What the API says of the failures names no secret of the webhook.
      assertThat(alerts(api).toString()).doesNotContain("secret-" + suffix);
    }
  }

  /** Users of a steady channel in one hour, {@code days} days before the judged one. */
  private static long steady(int days) {
    return 30 + days % 3;
  }

  /**
   * Writes the traffic and marks its minutes changed, as the sharder does: on the judged day and
   * each of the 7 days before, in the judged hour and the hour after, every channel's steady users,
   * spread over the hour; with {@code spike}, 150 more users of one channel early in the judged
   * hour (not in the ten minutes judged). Returns the users written.
   */
  private long writeTraffic(boolean spike) throws Exception {
    try (ElasticsearchConnection es =
        ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT))) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      store.ensureProductIndex(product);
      List<FirstSeenStore.Write> writes = new ArrayList<>();
      TreeSet<Long> minutes = new TreeSet<>();
      for (int days = 0; days <= ChannelAlerts.BASELINE_DAYS; days++) {
        for (int hours = 0; hours < 2; hours++) {
          Instant hour = judgedHour.minus(days, ChronoUnit.DAYS).plus(hours, ChronoUnit.HOURS);
          long users = steady(days);
          for (String channel : CHANNELS) {
            for (int i = 0; i < users; i++) {
              writes.add(sighting(hour.plusMillis(3_600_000L * i / users), channel, writes.size()));
            }
          }
        }
      }
      if (spike) {
        for (int i = 0; i < 150; i++) {
          writes.add(sighting(judgedHour.plusSeconds(60 + 2L * i), SPIKING, writes.size()));
        }
      }
      for (int from = 0; from < writes.size(); from += 1_000) {
        store.write(
            writes.subList(from, Math.min(writes.size(), from + 1_000)),
            System.currentTimeMillis());
      }
      writes.forEach(
          w ->
              minutes.add(
                  Instant.ofEpochMilli(w.record().t0())
                      .truncatedTo(ChronoUnit.MINUTES)
                      .toEpochMilli()));
      es.refresh(store.alias());
      store.markChanged(Map.of(product, minutes), System.currentTimeMillis(), "traffic");
      return writes.size();
    }
  }

  private FirstSeenStore.Write sighting(Instant t0, String channel, int n) {
    return new FirstSeenStore.Write(
        new FirstSeenRecord(product, "d" + n, t0.toEpochMilli(), channel, "ak"), false);
  }

  /** Waits until the hour reports hold every user written. */
  private void awaitReports(URI api, long users) throws Exception {
    String query =
        "/api/v1/new-users?product="
            + product
            + "&granularity=hour&from="
            + judgedHour.minus(8, ChronoUnit.DAYS)
            + "&to="
            + judgedHour.plus(2, ChronoUnit.HOURS);
    Poll.until(
        "the reports of every user written",
        TIMEOUT,
        () -> {
          long sum = 0;
          for (JsonNode row : JSON.readTree(get(api, query).body()).path("rows")) {
            sum += row.path("new_users").asLong();
          }
          return sum == users;
        });
  }

  /**
   * Waits until the alert job has run twice more, so one whole evaluation began after this call.
   */
  private void awaitAnotherEvaluation(URI api) throws Exception {
    double before = evaluations(api);
    Poll.until("two more alert evaluations", TIMEOUT, () -> evaluations(api) >= before + 2);
  }

  /** Successful runs of the alert job so far, from the service's metrics. */
  private static double evaluations(URI api) throws Exception {
    Matcher m = RUNS.matcher(get(api, "/metrics").body());
    while (m.find()) {
      if (m.group(1).contains("job=\"channel-alerts\"")
          && m.group(1).contains("outcome=\"success\"")) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }

  private JsonNode alerts(URI api) throws Exception {
    HttpResponse<String> r =
        get(
            api,
            "/api/v1/alerts?product="
                + product
                + "&from="
                + judgedHour.minus(1, ChronoUnit.DAYS)
                + "&to="
                + at);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("alerts");
  }

  private static HttpResponse<String> get(URI api, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(api.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
