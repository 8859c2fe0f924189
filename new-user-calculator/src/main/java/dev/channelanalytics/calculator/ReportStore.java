package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.calculator.NewUserAggregations.BucketChannel;
import dev.channelanalytics.store.BoundedNames;
import dev.channelanalytics.store.CompositePages;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenIndex;
import dev.channelanalytics.store.KeywordOrder;
import dev.channelanalytics.store.SortedScan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

  // Replicas as the cluster says: its default, or the index template of
  // deploy/production/elasticsearch (one replica).
  private static final String MAPPING =
      "{\"settings\":{\"number_of_shards\":1},"
          + "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
          + "\"product_id\":{\"type\":\"keyword\"},"
          + "\"granularity\":{\"type\":\"keyword\"},"
          + "\"bucket\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
          + "\"channel\":{\"type\":\"keyword\"},"
          + "\"new_users\":{\"type\":\"long\"},"
          + "\"status\":{\"type\":\"keyword\"},"
          + "\"tz\":{\"type\":\"keyword\"},"
          + "\"computed_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}}}";

  private final ElasticsearchConnection es;
  private final String index;
  private final java.time.ZoneId zone;

  /**
   * The rows of {@code zone}: a row names the time zone it was computed in ({@code tz}, also in its
   * id), and only rows of this zone are read, written or replaced, so an answer never mixes the
   * rows of two zones (after {@code report.time-zone} changed, say).
   */
  public ReportStore(ElasticsearchConnection es, String index, java.time.ZoneId zone) {
    this.es = es;
    this.index = index;
    this.zone = zone;
  }

  void ensureIndex() {
    es.refuseAutoCreate(index + "*");
    if (!es.createIndexIfAbsent(index, MAPPING)) {
      // An index made before rows named their zone gets the field.
      es.call(
          "map " + index,
          c ->
              c.indices().putMapping(m -> m.index(index).properties("tz", p -> p.keyword(k -> k))));
    }
  }

  java.time.ZoneId zone() {
    return zone;
  }

  static String id(
      String product, Granularity g, java.time.ZoneId zone, long bucket, String channel) {
    return BoundedNames.id(product, g.code(), zone.getId(), Long.toString(bucket), channel);
  }

  /** The fields that identify a row of any zone, for scans that page across zones. */
  private static final List<String> ROW_KEY =
      List.of("tz", "product_id", "granularity", "bucket", "channel");

  /** Rows of the index not of this zone: another zone's, or rows from before rows named one. */
  private Query otherZones() {
    return Query.of(q -> q.bool(b -> b.mustNot(term("tz", zone.getId()))));
  }

  /** Whether the index holds rows of another zone (or rows that name none). */
  boolean holdsRowsOfOtherZones() {
    es.refresh(index);
    return SortedScan.iterator(es, index, otherZones(), ROW_KEY, false).hasNext();
  }

  /** Deletes every row not of this zone, in bulks; returns how many. */
  long deleteRowsOfOtherZones() {
    es.refresh(index);
    long deleted = 0;
    List<BulkOperation> ops = new ArrayList<>();
    var rows = SortedScan.iterator(es, index, otherZones(), ROW_KEY, false);
    while (rows.hasNext()) {
      String id = rows.next().id();
      ops.add(BulkOperation.of(b -> b.delete(d -> d.index(index).id(id))));
      if (ops.size() >= BULK_ROWS || !rows.hasNext()) {
        List<BulkOperation> batch = List.copyOf(ops);
        es.call("delete rows of other zones", c -> c.bulk(x -> x.operations(batch)));
        deleted += ops.size();
        ops.clear();
      }
    }
    return deleted;
  }

  /** Rows per bulk request when a window is written. */
  static final int BULK_ROWS = 5_000;

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
    WindowReplacement w = replacing(product, g, from, to, computedAt);
    counts.forEach((k, users) -> w.put(k.bucket(), k.channel(), users));
    w.finish();
  }

  /**
   * A replacement of a window's rows by counts given in ascending (bucket, channel) order, the
   * order of the composite aggregation: merged with a scan of the stored rows in the same order, so
   * a stored row is deleted as soon as the counts have passed it without it, and written in bulks
   * of {@link #BULK_ROWS}. It holds a page of each side and one bulk, whatever the number of
   * channels.
   */
  WindowReplacement replacing(String product, Granularity g, long from, long to, long computedAt) {
    return new WindowReplacement(product, g, from, to, computedAt);
  }

  /** See {@link #replacing}. */
  final class WindowReplacement {
    private final String product;
    private final Granularity g;
    private final long computedAt;
    private final java.util.Iterator<co.elastic.clients.elasticsearch.core.search.Hit<ObjectNode>>
        stored;
    private JsonNode nextStored;
    private String nextStoredId;
    private final List<BulkOperation> ops = new ArrayList<>();

    private WindowReplacement(String product, Granularity g, long from, long to, long computedAt) {
      this.product = product;
      this.g = g;
      this.computedAt = computedAt;
      this.stored =
          SortedScan.iterator(
              es,
              index,
              windowQuery(product, g, from, to, null),
              List.of("bucket", "channel"),
              true);
      advance();
    }

    private void advance() {
      nextStored = null;
      nextStoredId = null;
      while (stored.hasNext()) {
        var hit = stored.next();
        // A row this replacement wrote already, seen after a periodic refresh: not a stale one.
        if (hit.source().path("computed_at").asLong() >= computedAt) {
          continue;
        }
        nextStored = hit.source();
        nextStoredId = hit.id();
        return;
      }
    }

    /** The count of one (bucket, channel); calls must ascend as the aggregation's keys do. */
    void put(long bucket, String channel, long users) {
      while (nextStored != null && compare(nextStored, bucket, channel) < 0) {
        delete(nextStoredId);
        advance();
      }
      if (nextStored != null && compare(nextStored, bucket, channel) == 0) {
        advance(); // overwritten below
      }
      String id = id(product, g, zone, bucket, channel);
      ObjectNode doc = ElasticsearchConnection.JSON.createObjectNode();
      doc.put("product_id", product)
          .put("granularity", g.code())
          .put("tz", zone.getId())
          .put("bucket", bucket)
          .put("channel", channel)
          .put("new_users", users)
          .put("computed_at", computedAt);
      ops.add(BulkOperation.of(b -> b.index(i -> i.index(index).id(id).document(doc))));
      flushIfFull();
    }

    /** Deletes the stored rows after the last count and writes what is left. */
    void finish() {
      while (nextStored != null) {
        delete(nextStoredId);
        advance();
      }
      flush();
    }

    private void delete(String id) {
      ops.add(BulkOperation.of(b -> b.delete(d -> d.index(index).id(id))));
      flushIfFull();
    }

    private void flushIfFull() {
      if (ops.size() >= BULK_ROWS) {
        flush();
      }
    }

    private void flush() {
      if (ops.isEmpty()) {
        return;
      }
      BulkResponse r =
          es.bulkRecreating(
              "write reports of " + product, List.copyOf(ops), ReportStore.this::ensureIndex);
      ops.clear();
      if (r.errors()) {
        for (BulkResponseItem item : r.items()) {
          if (item.status() >= 300 && item.status() != 404) {
            throw new IllegalStateException("report write refused: " + item.error());
          }
        }
      }
    }
  }

  /**
   * The order of the aggregation's keys and of the stored rows' sort: bucket, then channel in the
   * byte order of its UTF-8 (a keyword's order), which is the order of its code points.
   */
  static int compare(JsonNode stored, long bucket, String channel) {
    int byBucket = Long.compare(stored.path("bucket").asLong(), bucket);
    if (byBucket != 0) {
      return byBucket;
    }
    return KeywordOrder.INSTANCE.compare(stored.path("channel").asText(), channel);
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

  /**
   * The new users of a product per channel summed over its rows of {@code g} with buckets before
   * {@code before}: one aggregation over rows, which are at most one per channel and bucket.
   */
  public TreeMap<String, Long> sums(String product, Granularity g, long before) {
    TreeMap<String, Long> out = new TreeMap<>();
    CompositePages.forEachSum(
        es,
        index,
        windowQuery(product, g, Long.MIN_VALUE, before, null),
        List.of(CompositePages.terms("channel", "channel")),
        "new_users",
        (key, users) -> out.put(key.get("channel").stringValue(), users));
    return out;
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
    SortedScan.forEach(
        es,
        index,
        windowQuery(product, g, from, to, channel),
        List.of("bucket", "channel"),
        source,
        hit -> each.accept(hit.id(), hit.source()));
  }

  private Query windowQuery(String product, Granularity g, long from, long to, String channel) {
    List<Query> filter = new ArrayList<>();
    filter.add(term("tz", zone.getId()));
    filter.add(term("product_id", product));
    filter.add(term("granularity", g.code()));
    filter.add(FirstSeenIndex.range("bucket", from, to));
    if (channel != null) {
      filter.add(term("channel", channel));
    }
    return Query.of(q -> q.bool(b -> b.filter(filter)));
  }

  private static Query term(String field, String value) {
    return Query.of(q -> q.term(t -> t.field(field).value(FieldValue.of(value))));
  }
}
