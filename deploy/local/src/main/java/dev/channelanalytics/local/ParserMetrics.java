package dev.channelanalytics.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Reads a counter of the running parser job through Flink's REST API (the parser's {@code
 * parser.rest-port}): the sum over every vertex and subtask of the metrics whose name ends with the
 * given name. Flink's REST API reports metrics a few seconds late (its metric fetcher's interval).
 */
public final class ParserMetrics {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final URI rest;

  public ParserMetrics(int restPort) {
    this.rest = URI.create("http://localhost:" + restPort);
  }

  /**
   * The counter {@code name} summed over the running job's subtasks; empty when no job runs, the
   * API does not answer, or no subtask has reported the counter yet.
   */
  public OptionalLong sum(String name) {
    try {
      long total = 0;
      boolean found = false;
      for (JsonNode job : get("/jobs/overview").path("jobs")) {
        if (!"RUNNING".equals(job.path("state").asText())) {
          continue;
        }
        String jid = job.path("jid").asText();
        for (JsonNode vertex : get("/jobs/" + jid).path("vertices")) {
          String metrics =
              "/jobs/" + jid + "/vertices/" + vertex.path("id").asText() + "/subtasks/metrics";
          for (JsonNode available : get(metrics)) {
            String id = available.path("id").asText();
            if (id.equals(name) || id.endsWith("." + name)) {
              for (JsonNode value :
                  get(metrics + "?agg=sum&get=" + URLEncoder.encode(id, StandardCharsets.UTF_8))) {
                total += (long) value.path("sum").asDouble();
                found = true;
              }
            }
          }
        }
      }
      return found ? OptionalLong.of(total) : OptionalLong.empty();
    } catch (IOException e) {
      return OptionalLong.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalLong.empty();
    }
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(rest.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(path + " answered " + r.statusCode());
    }
    return JSON.readTree(r.body());
  }
}
