package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The report buckets calibration has proven, kept apart from the calculator's report rows, and the
 * restatements of final buckets that later changed.
 *
 * <p>Finalisation and the calculator's recomputes never write the same document, so neither can
 * overwrite the other's work: calibration records a proven period (an hour, or a day once all its
 * hours are proven) with the value of every row in it; a row's status is derived when it is read
 * ({@link #isFinal}): final while its period is proven and its value is still the proven one. A
 * late log that changes a final bucket makes it provisional at once, and the calculator records a
 * restatement (old and new value) when it recomputes it; the next calibration proves the period
 * again.
 */
public final class FinalBuckets {
  /** A row of a report: granularity, bucket start (epoch ms) and channel. */
  public record Key(String granularity, long bucket, String channel) {}

  /** A final bucket's value that changed after it was proven. */
  public record Restatement(Key key, long finalValue, long newValue, long at) {}

  private static final String ROW = "row";

  /** Operations per bulk request. */
  private static final int BULK_OPERATIONS = 5_000;

  private static final String PERIOD = "period";
  // Replicas as the cluster says: its default, or the index template of
  // deploy/production/elasticsearch (one replica).
  private static final String MAPPING =
      "{\"settings\":{\"number_of_shards\":1},"
          + "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
          + "\"product_id\":{\"type\":\"keyword\"},"
          + "\"kind\":{\"type\":\"keyword\"},"
          + "\"granularity\":{\"type\":\"keyword\"},"
          + "\"bucket\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
          + "\"channel\":{\"type\":\"keyword\"},"
          + "\"new_users\":{\"type\":\"long\"},"
          + "\"new_value\":{\"type\":\"long\"},"
          + "\"at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}}}";

  private final ElasticsearchConnection es;
  private final String finalIndex;
  private final String restatementIndex;

  /** The final buckets of the report index {@code reportIndex}. */
  public FinalBuckets(ElasticsearchConnection es, String reportIndex) {
    this.es = es;
    this.finalIndex = reportIndex + "_final";
    this.restatementIndex = reportIndex + "_restatements";
  }

  public void ensureIndices() {
    es.refuseAutoCreate(finalIndex + "*");
    es.refuseAutoCreate(restatementIndex + "*");
    es.createIndexIfAbsent(finalIndex, MAPPING);
    es.createIndexIfAbsent(restatementIndex, MAPPING);
  }

  /**
   * Records the period of {@code granularity} (hour or day) starting at {@code periodStart} as
   * proven, with the value of every row in it ({@code rows}: rows of that granularity and, for an
   * hour, its minutes); rows of those granularities proven before that are no longer in it are
   * dropped.
   */
  public void finalise(
      String product,
      String granularity,
      long periodStart,
      long periodEnd,
      Map<Key, Long> rows,
      long at) {
    finalise(product, granularity, List.of(new Period(periodStart, periodEnd, rows)), at);
  }

  /**
   * A proven period [start, end) and the value of every row in it.
   *
   * @param start the period's first instant, epoch ms
   * @param end the period's end (exclusive)
   * @param rows the rows the period proves
   */
  public record Period(long start, long end, Map<Key, Long> rows) {}

  /**
   * Records {@code periods} of {@code granularity} as {@link #finalise(String, String, long, long,
   * Map, long)} records one, in one scan, bulk requests and one refresh: a calibration proves its
   * hours a day at a time rather than a round of requests per hour. The periods are recorded after
   * their rows, so a failure part way leaves no period proven with rows missing.
   */
  public void finalise(String product, String granularity, List<Period> periods, long at) {
    if (periods.isEmpty()) {
      return;
    }
    ensureIndices();
    Set<String> keep = new HashSet<>();
    List<BulkOperation> ops = new ArrayList<>();
    TreeMap<Long, Long> spans = new TreeMap<>();
    for (Period p : periods) {
      spans.put(p.start(), p.end());
      p.rows()
          .forEach(
              (key, users) -> {
                String id = rowId(product, key);
                keep.add(id);
                ObjectNode doc = doc(product, ROW, key, at).put("new_users", users);
                ops.add(
                    BulkOperation.of(b -> b.index(i -> i.index(finalIndex).id(id).document(doc))));
              });
    }
    // Only rows of the granularities this period proves: a day's proof leaves its hours' alone.
    List<String> covered = granularity.equals("day") ? List.of("day") : List.of("minute", "hour");
    long first = spans.firstKey();
    long last = periods.stream().mapToLong(Period::end).max().getAsLong();
    SortedScan.forEach(
        es,
        finalIndex,
        Query.of(
            q ->
                q.bool(
                    b ->
                        b.filter(filter(product, ROW, null, first, last))
                            .filter(
                                f ->
                                    f.terms(
                                        t ->
                                            t.field("granularity")
                                                .terms(
                                                    v ->
                                                        v.value(
                                                            covered.stream()
                                                                .map(FieldValue::of)
                                                                .toList())))))),
        List.of("granularity", "bucket", "channel"),
        true,
        hit -> {
          long bucket = hit.source().get("bucket").asLong();
          Map.Entry<Long, Long> span = spans.floorEntry(bucket);
          boolean inPeriod = span != null && bucket < span.getValue();
          if (inPeriod && !keep.contains(hit.id())) {
            ops.add(BulkOperation.of(b -> b.delete(d -> d.index(finalIndex).id(hit.id()))));
          }
        });
    for (Period p : periods) {
      Key period = new Key(granularity, p.start(), "");
      ObjectNode doc = doc(product, PERIOD, period, at);
      ops.add(
          BulkOperation.of(
              b -> b.index(i -> i.index(finalIndex).id(periodId(product, period)).document(doc))));
    }
    bulk("finalise " + product, ops);
    es.refresh(finalIndex);
  }

  /** The proven periods of {@code granularity} of a product starting in [from, to). */
  public TreeSet<Long> periods(String product, String granularity, long from, long to) {
    TreeSet<Long> out = new TreeSet<>();
    SortedScan.forEach(
        es,
        finalIndex,
        filter(product, PERIOD, granularity, from, to),
        List.of("bucket"),
        true,
        hit -> out.add(hit.source().get("bucket").asLong()));
    return out;
  }

  /** The proven values of rows of {@code granularity} of a product with buckets in [from, to). */
  public Map<Key, Long> values(String product, String granularity, long from, long to) {
    Map<Key, Long> out = new HashMap<>();
    SortedScan.forEach(
        es,
        finalIndex,
        filter(product, ROW, granularity, from, to),
        List.of("bucket", "channel"),
        true,
        hit -> out.put(key(hit.source()), hit.source().get("new_users").asLong()));
    return out;
  }

  /**
   * True when a row is final: its period (the hour holding a minute or hour bucket, the day of a
   * day bucket) is proven and its value is still the proven one.
   */
  public static boolean isFinal(Long provenValue, boolean periodProven, long value) {
    return periodProven && provenValue != null && provenValue == value;
  }

  /** Records that a proven row changed; recording the same change again changes nothing. */
  public void restated(String product, List<Restatement> changes) {
    if (changes.isEmpty()) {
      return;
    }
    ensureIndices();
    List<BulkOperation> ops = new ArrayList<>();
    for (Restatement r : changes) {
      ObjectNode doc =
          doc(product, ROW, r.key(), r.at())
              .put("new_users", r.finalValue())
              .put("new_value", r.newValue());
      String id = BoundedNames.id(rowText(product, r.key()), r.finalValue() + ">" + r.newValue());
      ops.add(BulkOperation.of(b -> b.create(c -> c.index(restatementIndex).id(id).document(doc))));
    }
    bulk("restatements of " + product, ops);
  }

  /** The restatements of a product's rows with buckets in [from, to), oldest bucket first. */
  public List<Restatement> restatements(String product, long from, long to) {
    es.refresh(restatementIndex);
    List<Restatement> out = new ArrayList<>();
    SortedScan.forEach(
        es,
        restatementIndex,
        filter(product, ROW, null, from, to),
        List.of("bucket", "granularity", "channel", "new_value"),
        true,
        hit ->
            out.add(
                new Restatement(
                    key(hit.source()),
                    hit.source().get("new_users").asLong(),
                    hit.source().get("new_value").asLong(),
                    hit.source().get("at").asLong())));
    return out;
  }

  /**
   * Runs {@code ops} in order, {@link #BULK_OPERATIONS} a request, so that a day of a product with
   * thousands of channels stays far below Elasticsearch's request size limit.
   */
  private void bulk(String what, List<BulkOperation> ops) {
    for (int from = 0; from < ops.size(); from += BULK_OPERATIONS) {
      List<BulkOperation> part = ops.subList(from, Math.min(ops.size(), from + BULK_OPERATIONS));
      for (BulkResponseItem item : es.bulkRecreating(what, part, this::ensureIndices).items()) {
        // 409: a restatement already recorded; 404: a stale row already gone.
        if (item.error() != null && item.status() != 409 && item.status() != 404) {
          throw new IllegalStateException(what + " refused: " + item.error());
        }
      }
    }
  }

  private static ObjectNode doc(String product, String kind, Key key, long at) {
    return ElasticsearchConnection.JSON
        .createObjectNode()
        .put("product_id", product)
        .put("kind", kind)
        .put("granularity", key.granularity())
        .put("bucket", key.bucket())
        .put("channel", key.channel())
        .put("at", at);
  }

  private static Key key(JsonNode source) {
    return new Key(
        source.get("granularity").asText(),
        source.get("bucket").asLong(),
        source.get("channel").asText());
  }

  private static String rowId(String product, Key key) {
    return BoundedNames.id(rowText(product, key));
  }

  private static String rowText(String product, Key key) {
    return product + "|" + key.granularity() + "|" + key.bucket() + "|" + key.channel();
  }

  private static String periodId(String product, Key period) {
    return BoundedNames.id(product, "period", period.granularity(), Long.toString(period.bucket()));
  }

  private static Query filter(String product, String kind, String granularity, long from, long to) {
    List<Query> filter = new ArrayList<>();
    filter.add(term("product_id", product));
    filter.add(term("kind", kind));
    if (granularity != null) {
      filter.add(term("granularity", granularity));
    }
    filter.add(FirstSeenIndex.range("bucket", from, to));
    return Query.of(q -> q.bool(b -> b.filter(filter)));
  }

  private static Query term(String field, String value) {
    return Query.of(q -> q.term(t -> t.field(field).value(FieldValue.of(value))));
  }
}
