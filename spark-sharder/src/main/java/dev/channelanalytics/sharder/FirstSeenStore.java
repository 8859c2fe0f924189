package dev.channelanalytics.sharder;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.records.FirstSeenIndex;
import dev.channelanalytics.common.records.FirstSeenRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first-seen documents in Elasticsearch, over its REST API: per-product indices created on
 * first sight, reads by id, and version-guarded writes.
 *
 * <p>Every call retries what Elasticsearch may answer later: connection failures, 429 (back
 * pressure) and 5xx, with exponential back-off up to {@link #MAX_BACKOFF}, for as long as it takes;
 * a micro-batch simply waits, and nothing is committed before Elasticsearch has acknowledged it. A
 * 4xx other than 409 and 429 is a bug or a bad configuration and fails the batch.
 */
final class FirstSeenStore {
  private static final Logger LOG = LoggerFactory.getLogger(FirstSeenStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();
  static final Duration MAX_BACKOFF = Duration.ofSeconds(15);

  /**
   * Documents per {@code _bulk} or {@code _mget}: large enough to amortise a request, small enough
   * for a small heap's circuit breaker.
   */
  static final int MAX_BULK_ITEMS = 5_000;

  /** Indices known to exist, per JVM: creation is checked once per product. */
  private static final Set<String> KNOWN_INDICES = ConcurrentHashMap.newKeySet();

  /** The outcome of one version-guarded write. */
  enum WriteResult {
    WRITTEN,
    /** Elasticsearch already holds an earlier sighting: not an error, nothing changed. */
    CONFLICT
  }

  /** One planned write: the record, the index, and whether a tie on t0 must overwrite. */
  record Write(String index, FirstSeenRecord record, boolean sameT0Overwrite) {}

  private final URI base;
  private final String prefix;
  private final int shards;
  private final int replicas;
  private final HttpClient http;

  FirstSeenStore(URI base, String prefix, int shards, int replicas) {
    this.base = base;
    this.prefix = prefix;
    this.shards = shards;
    this.replicas = replicas;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  String indexOf(String productId) {
    return FirstSeenIndex.indexOf(prefix, productId);
  }

  /** Creates a product's index with explicit mappings and the alias, unless it exists. */
  void ensureProductIndex(String productId) {
    String index = indexOf(productId);
    if (KNOWN_INDICES.contains(index)) {
      return;
    }
    String body = FirstSeenIndex.productIndexBody(prefix, shards, replicas);
    createIndex(index, body);
    KNOWN_INDICES.add(index);
  }

  /** Creates the index of changed buckets, unless it exists. */
  void ensureChangesIndex() {
    String index = FirstSeenIndex.changesIndex(prefix);
    if (KNOWN_INDICES.contains(index)) {
      return;
    }
    createIndex(index, FirstSeenIndex.changesIndexBody(replicas));
    KNOWN_INDICES.add(index);
  }

  private void createIndex(String index, String body) {
    HttpResponse<String> r = send("PUT", "/" + index, body, Set.of(400));
    if (r.statusCode() == 400 && !r.body().contains("resource_already_exists_exception")) {
      throw new IllegalStateException("creating index " + index + " failed: " + r.body());
    }
  }

  /** The stored records of {@code deviceIds} in one product's index; absent ids are left out. */
  Map<String, FirstSeenRecord> get(String productId, List<String> deviceIds) {
    Map<String, FirstSeenRecord> out = new HashMap<>();
    for (int from = 0; from < deviceIds.size(); from += MAX_BULK_ITEMS) {
      getChunk(
          productId,
          deviceIds.subList(from, Math.min(deviceIds.size(), from + MAX_BULK_ITEMS)),
          out);
    }
    return out;
  }

  private void getChunk(
      String productId, List<String> deviceIds, Map<String, FirstSeenRecord> out) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try (JsonGenerator g = FACTORY.createGenerator(body)) {
      g.writeStartObject();
      g.writeArrayFieldStart("ids");
      for (String device : deviceIds) {
        g.writeString(FirstSeenIndex.documentId(device));
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    HttpResponse<String> r =
        send("POST", "/" + indexOf(productId) + "/_mget", body.toString(), Set.of());
    try {
      for (JsonNode doc : JSON.readTree(r.body()).path("docs")) {
        if (doc.path("found").asBoolean(false)) {
          JsonNode s = doc.get("_source");
          out.put(
              s.get("device_id").asText(),
              new FirstSeenRecord(
                  s.get("product_id").asText(),
                  s.get("device_id").asText(),
                  s.get("t0").asLong(),
                  s.get("channel").asText(),
                  s.get("app_key").asText()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes records with external versioning; a 409 means an earlier sighting is already stored.
   * Items Elasticsearch refuses for back pressure are sent again after a pause.
   */
  List<WriteResult> write(List<Write> writes, long writtenAt) {
    List<WriteResult> results = new ArrayList<>(writes.size());
    for (int from = 0; from < writes.size(); from += MAX_BULK_ITEMS) {
      results.addAll(
          writeChunk(
              writes.subList(from, Math.min(writes.size(), from + MAX_BULK_ITEMS)), writtenAt));
    }
    return results;
  }

  private List<WriteResult> writeChunk(List<Write> writes, long writtenAt) {
    List<WriteResult> results = new ArrayList<>(writes.size());
    for (int i = 0; i < writes.size(); i++) {
      results.add(null);
    }
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      pending.add(i);
    }
    Backoff backoff = new Backoff();
    while (!pending.isEmpty()) {
      JsonNode items = bulk(bulkBody(writes, pending, writtenAt)).get("items");
      List<Integer> retry = new ArrayList<>();
      for (int k = 0; k < pending.size(); k++) {
        JsonNode item = items.get(k).get("index");
        int status = item.get("status").asInt();
        int i = pending.get(k);
        if (status == 200 || status == 201) {
          results.set(i, WriteResult.WRITTEN);
        } else if (status == 409) {
          results.set(i, WriteResult.CONFLICT);
        } else if (status == 429 || status >= 500) {
          retry.add(i);
        } else {
          throw new IllegalStateException(
              "Elasticsearch refused a first-seen document: " + item.path("error"));
        }
      }
      if (!retry.isEmpty()) {
        LOG.warn(
            "Elasticsearch pushed back on {} of {} writes; retrying", retry.size(), pending.size());
        backoff.pause();
      }
      pending = retry;
    }
    return results;
  }

  private String bulkBody(List<Write> writes, List<Integer> which, long writtenAt) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(256 * which.size());
    try {
      for (int i : which) {
        Write w = writes.get(i);
        FirstSeenRecord r = w.record();
        try (JsonGenerator g = FACTORY.createGenerator(body)) {
          g.writeStartObject();
          g.writeObjectFieldStart("index");
          g.writeStringField("_index", w.index());
          g.writeStringField("_id", FirstSeenIndex.documentId(r.deviceId()));
          g.writeNumberField("version", r.externalVersion());
          // A tie on t0 shares the version; it is overwritten only when the rule says so.
          g.writeStringField("version_type", w.sameT0Overwrite() ? "external_gte" : "external");
          g.writeEndObject();
          g.writeEndObject();
        }
        body.write('\n');
        try (JsonGenerator g = FACTORY.createGenerator(body)) {
          g.writeStartObject();
          g.writeStringField("product_id", r.productId());
          g.writeStringField("device_id", r.deviceId());
          g.writeNumberField("t0", r.t0());
          g.writeNumberField("minute", r.minute());
          g.writeStringField("channel", r.channel());
          g.writeStringField("app_key", r.appKey());
          g.writeNumberField("written_at", writtenAt);
          g.writeEndObject();
        }
        body.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return body.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Marks (product, minute) buckets as changed: one document per product for this piece of work,
   * with every minute it moved, so a batch costs a handful of documents, not one per minute. The id
   * names the work ({@code product|batch|partition}), so a batch run again overwrites its marks.
   */
  void markChanged(Map<String, Set<Long>> minutesByProduct, long changedAt, String work) {
    if (minutesByProduct.isEmpty()) {
      return;
    }
    String index = FirstSeenIndex.changesIndex(prefix);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try {
      for (Map.Entry<String, Set<Long>> e : minutesByProduct.entrySet()) {
        try (JsonGenerator g = FACTORY.createGenerator(body)) {
          g.writeStartObject();
          g.writeObjectFieldStart("index");
          g.writeStringField("_index", index);
          g.writeStringField("_id", e.getKey() + "|" + work);
          g.writeEndObject();
          g.writeEndObject();
          g.writeRaw('\n');
          g.writeStartObject();
          g.writeStringField("product_id", e.getKey());
          g.writeArrayFieldStart("minutes");
          for (long minute : e.getValue()) {
            g.writeNumber(minute);
          }
          g.writeEndArray();
          g.writeNumberField("changed_at", changedAt);
          g.writeEndObject();
          g.writeRaw('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String ndjson = body.toString(java.nio.charset.StandardCharsets.UTF_8);
    Backoff backoff = new Backoff();
    while (bulk(ndjson).path("errors").asBoolean(false)) {
      LOG.warn("Elasticsearch refused some changed-bucket marks; retrying");
      backoff.pause();
    }
  }

  private JsonNode bulk(String ndjson) {
    HttpResponse<String> r = send("POST", "/_bulk", ndjson, Set.of());
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Sends a request, retrying connection failures, 429 and 5xx with back-off until they succeed;
   * statuses in {@code accepted} are returned to the caller, other 4xx fail.
   */
  private HttpResponse<String> send(
      String method, String path, String body, Set<Integer> accepted) {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(60))
            .header(
                "Content-Type",
                path.endsWith("_bulk") ? "application/x-ndjson" : "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build();
    Backoff backoff = new Backoff();
    while (true) {
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status < 300 || accepted.contains(status)) {
          return r;
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
        throw new IllegalStateException("interrupted while talking to Elasticsearch", e);
      }
      backoff.pause();
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 500 ? s.substring(0, 500) + "..." : s;
  }

  /** Exponential back-off from 100 ms to {@link #MAX_BACKOFF}. */
  static final class Backoff {
    private long millis = 100;

    void pause() {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during back-off", e);
      }
      millis = Math.min(millis * 2, MAX_BACKOFF.toMillis());
    }
  }
}
