package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch._types.aggregations.CompositeAggregationSource;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.channelanalytics.store.CompositePages;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenIndex;
import dev.channelanalytics.store.KeywordOrder;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * New users counted straight from the first-seen documents with composite aggregations, which page,
 * so thousands of channels are counted exactly.
 */
public final class NewUserAggregations {
  /** A report row's key. */
  /** A bucket and channel, ordered as the aggregation lists them and the stored rows sort. */
  record BucketChannel(long bucket, String channel) implements Comparable<BucketChannel> {
    @Override
    public int compareTo(BucketChannel o) {
      int c = Long.compare(bucket, o.bucket);
      return c != 0 ? c : KeywordOrder.INSTANCE.compare(channel, o.channel);
    }
  }

  private static final String BUCKET = "bucket";
  private static final String CHANNEL = "channel";
  private static final String PRODUCT = "product";

  private final ElasticsearchConnection es;
  private final String indexPrefix;

  public NewUserAggregations(ElasticsearchConnection es, String indexPrefix) {
    this.es = es;
    this.indexPrefix = indexPrefix;
  }

  /** New users per (bucket, channel) of a product with t0 in [from, to). */
  TreeMap<BucketChannel, Long> count(
      String product, Granularity granularity, ZoneId zone, long from, long to) {
    TreeMap<BucketChannel, Long> out = new TreeMap<>();
    forEachCount(product, granularity, zone, from, to, out::put);
    return out;
  }

  /**
   * The same counts, each handed over as its page arrives, ascending by bucket and then channel (in
   * the byte order of its UTF-8): nothing is held beyond a page of the composite aggregation.
   */
  void forEachCount(
      String product,
      Granularity granularity,
      ZoneId zone,
      long from,
      long to,
      java.util.function.BiConsumer<BucketChannel, Long> each) {
    Map<String, CompositeAggregationSource> bucket =
        Map.of(
            BUCKET,
            CompositeAggregationSource.of(
                s ->
                    s.dateHistogram(
                        h ->
                            granularity
                                .interval(h.field(FirstSeenIndex.T0))
                                .timeZone(zone.getId()))));
    CompositePages.forEach(
        es,
        FirstSeenIndex.indexOf(indexPrefix, product),
        FirstSeenIndex.t0Range(from, to),
        List.of(bucket, CompositePages.terms(CHANNEL, FirstSeenIndex.CHANNEL)),
        (key, users) ->
            each.accept(
                new BucketChannel(key.get(BUCKET).longValue(), key.get(CHANNEL).stringValue()),
                users));
  }

  /** Every minute (epoch ms, UTC) in which a product has a first sighting. */
  java.util.TreeSet<Long> minutes(String product) {
    java.util.TreeSet<Long> out = new java.util.TreeSet<>();
    forEachCount(
        product,
        Granularity.MINUTE,
        java.time.ZoneOffset.UTC,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        (k, users) -> out.add(k.bucket()));
    return out;
  }

  /** Users of a product per channel with t0 in [from, to). */
  TreeMap<String, Long> usersPerChannel(String product, long from, long to) {
    TreeMap<String, Long> out = new TreeMap<>();
    CompositePages.forEach(
        es,
        FirstSeenIndex.indexOf(indexPrefix, product),
        FirstSeenIndex.t0Range(from, to),
        List.of(CompositePages.terms(CHANNEL, FirstSeenIndex.CHANNEL)),
        (key, users) -> out.put(key.get(CHANNEL).stringValue(), users));
    return out;
  }

  /** Every product with at least one first-seen document. */
  public TreeMap<String, Long> products() {
    TreeMap<String, Long> out = new TreeMap<>();
    CompositePages.forEach(
        es,
        FirstSeenIndex.alias(indexPrefix),
        Query.of(q -> q.matchAll(m -> m)),
        List.of(CompositePages.terms(PRODUCT, FirstSeenIndex.PRODUCT_ID)),
        (key, users) -> out.put(key.get(PRODUCT).stringValue(), users));
    return out;
  }
}
