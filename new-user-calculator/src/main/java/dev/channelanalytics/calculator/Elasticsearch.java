package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calculator's Elasticsearch connection: JSON over the REST API, with connection failures, 429
 * and 5xx retried with back-off up to a deadline, so a short outage delays reports instead of
 * failing them.
 */
final class Elasticsearch {
  private static final Logger LOG = LoggerFactory.getLogger(Elasticsearch.class);
  static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Duration patience;

  Elasticsearch(URI base, Duration patience) {
    this.base = base;
    this.patience = patience;
  }

  /** A string as a JSON string literal. */
  static String quote(String s) {
    return JSON.getNodeFactory().textNode(s).toString();
  }

  /** The response, or null for a 404; other 4xx fail at once. */
  JsonNode call(String method, String path, String body) {
    long deadline = System.nanoTime() + patience.toNanos();
    long backoff = 100;
    while (true) {
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(base.resolve(path))
                    .timeout(Duration.ofSeconds(60))
                    .header(
                        "Content-Type",
                        path.contains("_bulk") ? "application/x-ndjson" : "application/json")
                    .method(
                        method,
                        body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status == 404) {
          return null;
        }
        if (status < 300) {
          return JSON.readTree(r.body());
        }
        if (status != 429 && status < 500) {
          throw new IllegalStateException(
              method + " " + path + " answered " + status + ": " + abbreviate(r.body()));
        }
        LOG.warn("{} {} answered {}; retrying", method, path, status);
      } catch (IOException e) {
        LOG.warn("Elasticsearch unreachable at {} ({}); retrying", base, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Elasticsearch did not answer " + method + " " + path);
      }
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      backoff = Math.min(backoff * 2, 5_000);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 500 ? s.substring(0, 500) + "..." : s;
  }
}
