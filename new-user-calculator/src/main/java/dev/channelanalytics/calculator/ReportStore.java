package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.calculator.NewUserAggregations.BucketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reports in Elasticsearch: one document per (product, granularity, bucket, channel) with an
 * idempotent id, so recomputing a window twice writes the same documents.
 */
final class ReportStore {
  /** One report row. */
  record Row(long bucket, String channel, long newUsers, String status) {}

  static final String PROVISIONAL = "provisional";
  static final String FINAL = "final";
  private static final int PAGE = 5_000;

  private final Elasticsearch es;
  private final String index;

  ReportStore(Elasticsearch es, String index) {
    this.es = es;
    this.index = index;
  }

  void ensureIndex() {
    try {
      es.call(
          "PUT",
          "/" + index,
          "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},"
              + "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
              + "\"product_id\":{\"type\":\"keyword\"},"
              + "\"granularity\":{\"type\":\"keyword\"},"
              + "\"bucket\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
              + "\"channel\":{\"type\":\"keyword\"},"
              + "\"new_users\":{\"type\":\"long\"},"
              + "\"status\":{\"type\":\"keyword\"},"
              + "\"computed_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}}}");
    } catch (IllegalStateException e) {
      if (!e.getMessage().contains("resource_already_exists_exception")) {
        throw e;
      }
    }
  }

  static String id(String product, Granularity g, long bucket, String channel) {
    return product + "|" + g.code() + "|" + bucket + "|" + channel;
  }

  /**
   * Makes the stored rows of a product's window [from, to) equal {@code counts}: writes every row,
   * then deletes rows of the window that no longer have a user (a user moved away).
   */
  void replace(
      String product,
      Granularity g,
      long from,
      long to,
      Map<BucketChannel, Long> counts,
      long computedAt) {
    Set<String> keep = new HashSet<>();
    StringBuilder bulk = new StringBuilder();
    for (Map.Entry<BucketChannel, Long> e : counts.entrySet()) {
      String id = id(product, g, e.getKey().bucket(), e.getKey().channel());
      keep.add(id);
      ObjectNode action = Elasticsearch.JSON.createObjectNode();
      action.putObject("index").put("_index", index).put("_id", id);
      ObjectNode doc = Elasticsearch.JSON.createObjectNode();
      doc.put("product_id", product)
          .put("granularity", g.code())
          .put("bucket", e.getKey().bucket())
          .put("channel", e.getKey().channel())
          .put("new_users", e.getValue())
          .put("status", PROVISIONAL)
          .put("computed_at", computedAt);
      bulk.append(action).append('\n').append(doc).append('\n');
    }
    for (String stale : storedIds(product, g, from, to)) {
      if (!keep.contains(stale)) {
        ObjectNode action = Elasticsearch.JSON.createObjectNode();
        action.putObject("delete").put("_index", index).put("_id", stale);
        bulk.append(action).append('\n');
      }
    }
    if (bulk.length() > 0) {
      JsonNode r = es.call("POST", "/_bulk", bulk.toString());
      if (r.path("errors").asBoolean(false)) {
        for (JsonNode item : r.path("items")) {
          JsonNode op = item.elements().next();
          int status = op.path("status").asInt();
          if (status >= 300 && status != 404) {
            throw new IllegalStateException("report write refused: " + op.path("error"));
          }
        }
      }
    }
  }

  private List<String> storedIds(String product, Granularity g, long from, long to) {
    List<String> ids = new ArrayList<>();
    for (JsonNode hit : search(product, g, from, to, null, false)) {
      ids.add(hit.get("_id").asText());
    }
    return ids;
  }

  /** Makes what was written visible to searches now, not at the next periodic refresh. */
  void refresh() {
    es.call("POST", "/" + index + "/_refresh", null);
  }

  /** Rows of a product in [from, to), by bucket then channel. */
  List<Row> rows(String product, Granularity g, long from, long to, String channel) {
    List<Row> rows = new ArrayList<>();
    for (JsonNode hit : search(product, g, from, to, channel, true)) {
      JsonNode s = hit.get("_source");
      rows.add(
          new Row(
              s.get("bucket").asLong(),
              s.get("channel").asText(),
              s.get("new_users").asLong(),
              s.get("status").asText()));
    }
    return rows;
  }

  private List<JsonNode> search(
      String product, Granularity g, long from, long to, String channel, boolean source) {
    List<JsonNode> out = new ArrayList<>();
    String after = null;
    while (true) {
      StringBuilder filter =
          new StringBuilder("[{\"term\":{\"product_id\":")
              .append(Elasticsearch.quote(product))
              .append("}},{\"term\":{\"granularity\":\"")
              .append(g.code())
              .append("\"}},{\"range\":{\"bucket\":{\"gte\":")
              .append(from)
              .append(",\"lt\":")
              .append(to)
              .append("}}}");
      if (channel != null) {
        filter.append(",{\"term\":{\"channel\":").append(Elasticsearch.quote(channel)).append("}}");
      }
      filter.append(']');
      String body =
          "{\"size\":"
              + PAGE
              + ",\"_source\":"
              + source
              + ",\"query\":{\"bool\":{\"filter\":"
              + filter
              + "}},\"sort\":[{\"bucket\":\"asc\"},{\"channel\":\"asc\"}]"
              + (after == null ? "" : ",\"search_after\":" + after)
              + "}";
      JsonNode r = es.call("POST", "/" + index + "/_search", body);
      if (r == null) {
        return out;
      }
      JsonNode hits = r.path("hits").path("hits");
      hits.forEach(out::add);
      if (hits.size() < PAGE) {
        return out;
      }
      after = hits.get(hits.size() - 1).get("sort").toString();
    }
  }
}
