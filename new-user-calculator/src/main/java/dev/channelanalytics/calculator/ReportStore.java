package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.json.JsonData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.calculator.NewUserAggregations.BucketChannel;
import dev.channelanalytics.store.BoundedNames;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.SortedScan;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reports in Elasticsearch: one document per (product, granularity, bucket, channel) with an
 * idempotent id, so recomputing a window twice writes the same documents.
 */
public final class ReportStore {
  /**
   * One report row. Its status is not stored here: it is derived from calibration's final buckets
   * when the row is read ({@link ReportCalculator#statusOf}).
   */
  public record Row(long bucket, String channel, long newUsers) {}

  private static final String MAPPING =
      "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},"
          + "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
          + "\"product_id\":{\"type\":\"keyword\"},"
          + "\"granularity\":{\"type\":\"keyword\"},"
          + "\"bucket\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
          + "\"channel\":{\"type\":\"keyword\"},"
          + "\"new_users\":{\"type\":\"long\"},"
          + "\"status\":{\"type\":\"keyword\"},"
          + "\"computed_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}}}";

  private final ElasticsearchConnection es;
  private final String index;

  public ReportStore(ElasticsearchConnection es, String index) {
    this.es = es;
    this.index = index;
  }

  void ensureIndex() {
    es.refuseAutoCreate(index + "*");
    es.createIndexIfAbsent(index, MAPPING);
  }

  static String id(String product, Granularity g, long bucket, String channel) {
    return BoundedNames.id(product, g.code(), Long.toString(bucket), channel);
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
    List<BulkOperation> ops = new ArrayList<>();
    for (Map.Entry<BucketChannel, Long> e : counts.entrySet()) {
      String id = id(product, g, e.getKey().bucket(), e.getKey().channel());
      keep.add(id);
      ObjectNode doc = ElasticsearchConnection.JSON.createObjectNode();
      doc.put("product_id", product)
          .put("granularity", g.code())
          .put("bucket", e.getKey().bucket())
          .put("channel", e.getKey().channel())
          .put("new_users", e.getValue())
          .put("computed_at", computedAt);
      ops.add(BulkOperation.of(b -> b.index(i -> i.index(index).id(id).document(doc))));
    }
    forEachStored(
        product,
        g,
        from,
        to,
        null,
        false,
        (id, source) -> {
          if (!keep.contains(id)) {
            ops.add(BulkOperation.of(b -> b.delete(d -> d.index(index).id(id))));
          }
        });
    if (ops.isEmpty()) {
      return;
    }
    BulkResponse r = es.bulkRecreating("write reports of " + product, ops, this::ensureIndex);
    if (r.errors()) {
      for (BulkResponseItem item : r.items()) {
        if (item.status() >= 300 && item.status() != 404) {
          throw new IllegalStateException("report write refused: " + item.error());
        }
      }
    }
  }

  /** Makes what was written visible to searches now, not at the next periodic refresh. */
  void refresh() {
    es.refresh(index);
  }

  /** Rows of a product in [from, to), by bucket then channel. */
  public List<Row> rows(String product, Granularity g, long from, long to, String channel) {
    return rows(product, g, from, to, channel, Integer.MAX_VALUE);
  }

  /**
   * The stored rows, read a page at a time and stopped as soon as there are more than {@code
   * limit}, so that no answer is held in memory beyond it.
   *
   * @throws TooManyRows when there are more than {@code limit}
   */
  public List<Row> rows(
      String product, Granularity g, long from, long to, String channel, int limit) {
    List<Row> rows = new ArrayList<>();
    forEachStored(
        product,
        g,
        from,
        to,
        channel,
        true,
        (id, s) -> {
          TooManyRows.check(rows.size() + 1, limit);
          rows.add(
              new Row(
                  s.get("bucket").asLong(),
                  s.get("channel").asText(),
                  s.get("new_users").asLong()));
        });
    return rows;
  }

  /** An answer that would have more rows than its limit. */
  public static final class TooManyRows extends RuntimeException {
    final int limit;

    TooManyRows(int limit) {
      super("more than " + limit + " rows");
      this.limit = limit;
    }

    /** Throws when {@code rows} exceeds {@code limit}. */
    static void check(int rows, int limit) {
      if (rows > limit) {
        throw new TooManyRows(limit);
      }
    }
  }

  /** One stored row: its id and, when asked for, its source. */
  private interface RowVisitor {
    void accept(String id, JsonNode source);
  }

  private void forEachStored(
      String product,
      Granularity g,
      long from,
      long to,
      String channel,
      boolean source,
      RowVisitor each) {
    List<Query> filter = new ArrayList<>();
    filter.add(term("product_id", product));
    filter.add(term("granularity", g.code()));
    filter.add(
        Query.of(
            q ->
                q.range(
                    r ->
                        r.untyped(
                            u -> u.field("bucket").gte(JsonData.of(from)).lt(JsonData.of(to))))));
    if (channel != null) {
      filter.add(term("channel", channel));
    }
    SortedScan.forEach(
        es,
        index,
        Query.of(q -> q.bool(b -> b.filter(filter))),
        List.of("bucket", "channel"),
        source,
        hit -> each.accept(hit.id(), hit.source()));
  }

  private static Query term(String field, String value) {
    return Query.of(q -> q.term(t -> t.field(field).value(FieldValue.of(value))));
  }
}
