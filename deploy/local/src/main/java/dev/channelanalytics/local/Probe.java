package dev.channelanalytics.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The health probe of an engine's own HTTP page (Flink's REST API, Spark's UI JSON). */
final class Probe {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Probe() {}

  /** True when {@code page} answers 200 with {@code marker} in its body. */
  static boolean answers(URI page, String marker) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(page).timeout(Duration.ofSeconds(3)).build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().contains(marker);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
