package dev.channelanalytics.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesTheRegistryInPrometheusTextFormatAndNothingElse() throws Exception {
    ServiceMetrics metrics = new ServiceMetrics("test");
    metrics.registry().counter("channel_things_seen").increment(3);
    try (MetricsEndpoint endpoint = MetricsEndpoint.start(metrics, "127.0.0.1", 0)) {
      HttpResponse<String> ok = get(endpoint, "/metrics");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("Content-Type")).contains(MetricsEndpoint.CONTENT_TYPE);
      assertThat(ok.body())
          .contains("channel_things_seen_total{service=\"test\"} 3.0")
          .contains("jvm_memory_used_bytes");
      assertThat(get(endpoint, "/other").statusCode()).isEqualTo(404);
      HttpResponse<String> post =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                  .POST(HttpRequest.BodyPublishers.ofString("x"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }

  @Test
  void aTakenPortIsNamedInTheError() {
    ServiceMetrics metrics = new ServiceMetrics("test");
    try (MetricsEndpoint first = MetricsEndpoint.start(metrics, "127.0.0.1", 0)) {
      assertThatThrownBy(() -> MetricsEndpoint.start(metrics, "127.0.0.1", first.port()))
          .hasMessageContaining("cannot serve metrics on 127.0.0.1:" + first.port());
    }
  }

  private HttpResponse<String> get(MetricsEndpoint endpoint, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
