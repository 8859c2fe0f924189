package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.testing.ElasticsearchExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report API's answers to bad requests (contract section 8): 400s naming the parameter, and an
 * unknown product answering an empty list. The numbers themselves are ReportsMatchTheModelITCase's
 * here and the e2e module's through the whole pipeline.
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
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.ELASTICSEARCH_URL, ELASTICSEARCH.url().toString())
            .with(Setting.STATE_DIR, dir.resolve("state").toString())
            .with(Setting.SHARDER_INDEX_PREFIX, "fs-" + suffix + "-")
            .with(Setting.CALCULATOR_REPORT_INDEX, "reports-" + suffix);
    try (NewUserCalculatorService service = NewUserCalculatorService.start(config, 0)) {
      URI api = URI.create("http://localhost:" + service.port());
      assertBadParameter(
          api, "/api/v1/new-users?product=p&granularity=hour&from=2026-11-23T00:00:00Z", "to");
      assertBadParameter(
          api,
          "/api/v1/new-users?product=p&granularity=week&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z",
          "granularity");
      assertBadParameter(api, "/api/v1/new-users/cumulative?product=p&at=yesterday", "at");
      HttpResponse<String> unknown =
          get(
              api,
              "/api/v1/new-users?product=nope&granularity=day&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z");
      assertThat(unknown.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(unknown.body()).get("rows")).isEmpty();
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
