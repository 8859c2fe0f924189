package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report API with tokens and no anonymous access, as in production: without a valid token every
 * report answers 401 while health and the dashboard's files stay open; a viewer limited to one
 * product finds the others unknown, in every endpoint (the channel alerts too) and in the live
 * events; an admin sees everything.
 */
class ReportApiAccessITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration TIMEOUT = Duration.ofMinutes(1);
  private static final String ADMIN = "admin-token-" + UUID.randomUUID();
  private static final String GAME_VIEWER = "game-viewer-" + UUID.randomUUID();

  @TempDir Path dir;

  private static HttpResponse<String> get(URI api, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(api.resolve(path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(URI api, String path, String token) throws Exception {
    HttpResponse<String> r = get(api, path, token);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static long users(JsonNode answer) {
    long n = 0;
    for (JsonNode row : answer.path("rows")) {
      n += row.path("new_users").asLong();
    }
    return n;
  }

  /** Reads an event stream into {@code data} lines until the connection closes. */
  private static Thread listen(URI api, String token, List<String> data) throws Exception {
    HttpResponse<java.io.InputStream> r =
        HTTP.send(
            HttpRequest.newBuilder(api.resolve("/api/v1/events"))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                  if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                  }
                }
              } catch (Exception e) {
                // the service stopped
              }
            });
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void withoutATokenNothingIsReadAndAViewerOfOneProductFindsTheOthersUnknown() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    Path tokens = dir.resolve("tokens.json");
    Files.createFile(
        tokens, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        tokens,
        "{\"tokens\":[{\"name\":\"ops\",\"token\":\""
            + ADMIN
            + "\",\"role\":\"admin\"},{\"name\":\"game-partner\",\"token\":\""
            + GAME_VIEWER
            + "\",\"role\":\"viewer\",\"products\":[\"game\"]}]}");
    ChannelConfig config =
        CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix)
            .with(Setting.API_ANONYMOUS_ROLE, "none")
            .with(Setting.API_TOKENS_FILE, tokens.toString());
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);
    String range = "&granularity=hour&from=" + hour + "&to=" + hour.plus(1, ChronoUnit.HOURS);
    try (ElasticsearchConnection es =
            ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(TIMEOUT));
        // Alerts judged at 5 past the hour after the users' hour, where each product's channel is
        // new (and above the minimum volume of 1).
        NewUserCalculatorService service =
            NewUserCalculatorService.start(
                CalculatorSettings.from(
                    config
                        .with(Setting.CALCULATOR_PORT, "0")
                        .with(Setting.CALCULATOR_ALERT_MIN_USERS, "1")
                        .with(Setting.CALCULATOR_ALERT_SETTLE, "PT0S")
                        .with(Setting.CALCULATOR_ALERT_INTERVAL, "PT1S")),
                java.time.Clock.fixed(
                    hour.plus(65, ChronoUnit.MINUTES), java.time.ZoneOffset.UTC))) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      write(store, hour, "game", 3, 0);
      write(store, hour, "video", 2, 0);
      URI api = URI.create("http://localhost:" + service.port());
      Poll.until(
          "both products' hour",
          TIMEOUT,
          () ->
              users(json(api, "/api/v1/new-users?product=game" + range, ADMIN)) == 3
                  && users(json(api, "/api/v1/new-users?product=video" + range, ADMIN)) == 2);

      // No token, or a wrong one: no report, but health and the dashboard's files.
      for (String path :
          List.of(
              "/api/v1/products",
              "/api/v1/new-users?product=game" + range,
              "/api/v1/new-users/cumulative?product=game&at=" + Instant.now(),
              "/api/v1/channels?product=game",
              "/api/v1/calibration?product=game&from=" + hour + "&to=" + Instant.now(),
              "/api/v1/alerts?product=game&from=" + hour + "&to=" + Instant.now(),
              "/api/v1/events")) {
        assertThat(get(api, path, null).statusCode()).as(path).isEqualTo(401);
        assertThat(get(api, path, "wrong-" + ADMIN).statusCode()).as(path).isEqualTo(401);
      }
      assertThat(get(api, "/health", null).statusCode()).isIn(200, 503);
      assertThat(get(api, "/", null).statusCode()).isEqualTo(200);
      assertThat(get(api, "/dashboard/index.html", null).body()).contains("<html");

      String alerts = "/api/v1/alerts?product=video&from=" + hour + "&to=" + Instant.now();
      Poll.until(
          "video's channel alert",
          TIMEOUT,
          () -> json(api, alerts, ADMIN).path("alerts").size() == 1);
      assertThat(json(api, alerts, ADMIN).path("alerts").get(0).path("kind").asText())
          .isEqualTo("new");

      // The game viewer: game's numbers; video answers exactly as a product that does not exist.
      assertThat(json(api, "/api/v1/products", GAME_VIEWER).path("products"))
          .extracting(p -> p.path("product").asText())
          .containsExactly("game");
      assertThat(json(api, "/api/v1/products", ADMIN).path("products"))
          .extracting(p -> p.path("product").asText() + "=" + p.path("new_users").asLong())
          .containsExactlyInAnyOrder("game=3", "video=2");
      assertThat(users(json(api, "/api/v1/new-users?product=game" + range, GAME_VIEWER)))
          .isEqualTo(3);
      for (String endpoint :
          List.of(
              "/api/v1/new-users?product=%s" + range,
              "/api/v1/new-users?product=%s" + range + "&format=csv",
              "/api/v1/new-users/cumulative?product=%s&at=" + Instant.now(),
              "/api/v1/channels?product=%s",
              "/api/v1/calibration?product=%s&from=" + hour + "&to=" + Instant.now(),
              "/api/v1/alerts?product=%s&from=" + hour + "&to=" + Instant.now())) {
        String video = get(api, endpoint.formatted("video"), GAME_VIEWER).body();
        String unknown = get(api, endpoint.formatted("nothing-" + suffix), ADMIN).body();
        assertThat(video.replace("video", "P"))
            .as(endpoint)
            .isEqualTo(unknown.replace("nothing-" + suffix, "P"));
      }
      assertThat(get(api, "/api/v1/new-users?product=video" + range, ADMIN).body())
          .contains("\"new_users\":2");

      // Metrics for Prometheus: a viewer's (a scrape with a token), each route's latency and each
      // report job's runs and last success.
      assertThat(get(api, "/metrics", null).statusCode()).isEqualTo(401);
      Poll.until(
          "the report jobs' and the API's metrics",
          TIMEOUT,
          () -> {
            String metrics = get(api, "/metrics", GAME_VIEWER).body();
            return metrics.matches(
                    "(?s).*http_server_requests_seconds_count\\{[^}]*route=\"/api/v1/new-users\""
                        + "[^}]*status=\"200\"[^}]*\\} [1-9].*")
                && metrics.matches(
                    "(?s).*calculator_job_runs_seconds_count\\{job=\"changed-buckets\","
                        + "outcome=\"success\"[^}]*\\} [1-9].*")
                && metrics.contains(
                    "calculator_job_last_success_age_seconds{job=\"trailing-window\"")
                && metrics.contains("jvm_memory_used_bytes{");
          });

      // Live events: the game viewer hears only of game, the admin of both.
      List<String> viewerEvents = new CopyOnWriteArrayList<>();
      List<String> adminEvents = new CopyOnWriteArrayList<>();
      listen(api, GAME_VIEWER, viewerEvents);
      listen(api, ADMIN, adminEvents);
      write(store, hour, "video", 2, 100);
      Poll.until(
          "the admin's event for video",
          TIMEOUT,
          () -> adminEvents.stream().anyMatch(e -> e.contains("video")));
      write(store, hour, "game", 1, 100);
      Poll.until("the viewer's event for game", TIMEOUT, () -> !viewerEvents.isEmpty());
      assertThat(viewerEvents)
          .allSatisfy(e -> assertThat(e).isEqualTo("{\"products\":[\"game\"]}"));
    }
  }

  private static void write(FirstSeenStore store, Instant hour, String product, int n, int from) {
    store.ensureProductIndex(product);
    List<FirstSeenStore.Write> writes = new ArrayList<>();
    long t0 = hour.plus(10, ChronoUnit.MINUTES).toEpochMilli();
    for (int i = from; i < from + n; i++) {
      writes.add(
          new FirstSeenStore.Write(
              new FirstSeenRecord(product, "d" + i, t0 + i, "c", "ak"), false));
    }
    store.write(writes, System.currentTimeMillis());
    store.markChanged(Map.of(product, List.of(t0)), System.currentTimeMillis(), "users");
  }
}
