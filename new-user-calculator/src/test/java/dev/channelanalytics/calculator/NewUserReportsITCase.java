package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.PipelineFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report API's answers to bad requests (contract section 8): 400s naming the parameter, and an
 * unknown product answering an empty list; and the settlement CSV export. The numbers themselves
 * are ReportsMatchTheModelITCase's here and the e2e module's through the whole pipeline.
 */
class NewUserReportsITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  @Test
  void badParametersAnswer400NamingTheParameterAndUnknownProductsAnEmptyList() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    ChannelConfig config =
        CalculatorTestConfig.of(
            dir, ELASTICSEARCH.url(), "fs-" + suffix + "-", "reports-" + suffix);
    try (NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
      URI api = URI.create("http://localhost:" + service.port());
      assertBadParameter(
          api, "/api/v1/new-users?product=p&granularity=hour&from=2026-11-23T00:00:00Z", "to");
      assertBadParameter(
          api,
          "/api/v1/new-users?product=p&granularity=week&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z",
          "granularity");
      assertBadParameter(api, "/api/v1/new-users/cumulative?product=p&at=yesterday", "at");
      assertBadParameter(
          api, "/api/v1/alerts?product=p&from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z", "to");
      assertBadParameter(api, "/api/v1/alerts?from=2026-11-23T00:00:00Z&to=now", "product");
      HttpResponse<String> unknown =
          get(
              api,
              "/api/v1/new-users?product=nope&granularity=day&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z");
      assertThat(unknown.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(unknown.body()).get("rows")).isEmpty();
    }
  }

  @Test
  void settlementCsvHasEveryRowWithItsStatusAndQuotesChannelsThatNeedIt() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String prefix = "fs-" + suffix + "-";
    ChannelConfig config =
        CalculatorTestConfig.of(dir, ELASTICSEARCH.url(), prefix, "reports-" + suffix);
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(3, ChronoUnit.HOURS);
    List<String> channels = List.of("organic", "a,b", "say \"hi\"", "=1+1");
    try (ElasticsearchConnection es =
            ElasticsearchConnection.open(
                ELASTICSEARCH.url(), RetryPolicy.upTo(java.time.Duration.ofSeconds(30)));
        NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      store.ensureProductIndex("p");
      List<FirstSeenStore.Write> writes = new ArrayList<>();
      for (int i = 0; i < channels.size(); i++) {
        writes.add(
            new FirstSeenStore.Write(
                new FirstSeenRecord(
                    "p", "d" + i, hour.plusSeconds(60L * i).toEpochMilli(), channels.get(i), "ak"),
                false));
      }
      store.write(writes, System.currentTimeMillis());
      es.refresh(store.alias());
      store.markChanged(
          Map.of("p", List.of(hour.toEpochMilli())), System.currentTimeMillis(), "test");
      URI api = URI.create("http://localhost:" + service.port());
      String query =
          "/api/v1/new-users?product=p&granularity=minute&from="
              + hour
              + "&to="
              + hour.plus(1, ChronoUnit.HOURS);
      PipelineFixture.awaitEqual(
          "four minute rows",
          java.time.Duration.ofMinutes(1),
          channels.size(),
          () -> JSON.readTree(get(api, query).body()).get("rows").size());

      HttpResponse<String> csv = get(api, query + "&format=csv");
      assertThat(csv.statusCode()).isEqualTo(200);
      assertThat(csv.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));
      assertThat(csv.body().split("\r\n", -1))
          .containsExactly(
              "product,granularity,time_zone,bucket,channel,new_users,status",
              "p,minute,UTC," + hour + ",organic,1,provisional",
              "p,minute,UTC," + hour.plusSeconds(60) + ",\"a,b\",1,provisional",
              "p,minute,UTC," + hour.plusSeconds(120) + ",\"say \"\"hi\"\"\",1,provisional",
              "p,minute,UTC," + hour.plusSeconds(180) + ",=1+1,1,provisional",
              "");
      assertBadParameter(api, query + "&format=xml", "format");
      assertBadParameter(
          api, "/api/v1/new-users/cumulative?product=p&at=" + hour + "&format=csv", "format");

      // The same rows through a service allowed three rows per answer: 400 naming the limit.
      ChannelConfig limited =
          CalculatorTestConfig.of(
                  dir.resolve("limited"), ELASTICSEARCH.url(), prefix, "reports-" + suffix)
              .with(dev.channelanalytics.common.config.Setting.CALCULATOR_MAX_ROWS, "3");
      try (NewUserCalculatorService small = NewUserCalculatorService.start(limited, 0)) {
        URI smallApi = URI.create("http://localhost:" + small.port());
        for (String tooBig : List.of(query, query + "&format=csv", "/api/v1/channels?product=p")) {
          HttpResponse<String> answer = get(smallApi, tooBig);
          assertThat(answer.statusCode()).as(tooBig).isEqualTo(400);
          var error = JSON.readTree(answer.body());
          assertThat(error.path("limit").asInt()).isEqualTo(3);
          assertThat(error.path("error").asText())
              .contains("more than 3 rows (calculator.max-rows)");
        }
        assertThat(get(smallApi, query + "&channel=organic").statusCode()).isEqualTo(200);
      }
    }
  }

  /**
   * Elasticsearch becomes unreachable for real (a proxy in front of it closes every connection and
   * refuses new ones): the report jobs stop succeeding and {@code /health} answers 503 naming the
   * job and its last error, where it used to stay "up"; once Elasticsearch is reachable again it
   * answers 200 "up" by itself.
   */
  @Test
  void healthFailsNamingTheJobWhileElasticsearchIsUnreachableAndRecoversByItself()
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    try (dev.channelanalytics.testing.TcpProxy proxy =
        dev.channelanalytics.testing.TcpProxy.to(ELASTICSEARCH.url())) {
      ChannelConfig config =
          CalculatorTestConfig.of(
                  dir, proxy.url(ELASTICSEARCH.url()), "fs-" + suffix + "-", "reports-" + suffix)
              .with(dev.channelanalytics.common.config.Setting.CALCULATOR_HEALTH_GRACE, "PT3S");
      try (NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
        URI api = URI.create("http://localhost:" + service.port());
        dev.channelanalytics.local.Poll.until(
            "the first successful report runs",
            java.time.Duration.ofMinutes(1),
            () -> get(api, "/health").statusCode() == 200);
        assertThat(JSON.readTree(get(api, "/health").body()).path("status").asText())
            .isEqualTo("up");

        proxy.refuse();
        dev.channelanalytics.local.Poll.until(
            "health to report the failing job",
            java.time.Duration.ofMinutes(2),
            () -> get(api, "/health").statusCode() == 503);
        var failing = JSON.readTree(get(api, "/health").body());
        assertThat(failing.path("status").asText()).isEqualTo("failing");
        assertThat(failing.path("jobs").path("changed-buckets").path("status").asText())
            .isEqualTo("failing");
        assertThat(failing.path("jobs").path("changed-buckets").path("last_success").asText())
            .isNotEmpty();

        proxy.forward();
        dev.channelanalytics.local.Poll.until(
            "health to recover by itself",
            java.time.Duration.ofMinutes(3),
            () -> get(api, "/health").statusCode() == 200);
        assertThat(JSON.readTree(get(api, "/health").body()).path("status").asText())
            .isEqualTo("up");
      }
    }
  }

  private static void assertBadParameter(URI api, String path, String parameter) throws Exception {
    HttpResponse<String> r = get(api, path);
    assertThat(r.statusCode()).as(path).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).get("parameter").asText()).isEqualTo(parameter);
  }

  private static HttpResponse<String> get(URI api, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(api.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
