package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.aggregations.CompositeAggregationSource;
import co.elastic.clients.elasticsearch.core.msearch.MultiSearchResponseItem;
import co.elastic.clients.elasticsearch.indices.get.Feature;
import com.fasterxml.jackson.databind.JsonNode;
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

  /** Product indices counted per {@code _msearch}. */
  private static final int PRODUCTS_PER_REQUEST = 200;

  /**
   * Every product with first sightings, with its number of users. One {@code _msearch} holds a
   * search of each product's index for one document, which names the product, with its exact hit
   * count: a count of every document, which Lucene answers from its segments' counts, so the cost
   * follows the products and not their users. It was a terms aggregation over every first-seen
   * document, which grew with history and ran every minute (trailing window, channel alerts).
   */
  public TreeMap<String, Long> products() {
    List<String> indices = productIndices();
    TreeMap<String, Long> out = new TreeMap<>();
    for (int i = 0; i < indices.size(); i += PRODUCTS_PER_REQUEST) {
      List<String> chunk = indices.subList(i, Math.min(indices.size(), i + PRODUCTS_PER_REQUEST));
      for (MultiSearchResponseItem<JsonNode> item :
          es.call("count the users of " + chunk.size() + " products", c -> countUsers(c, chunk))) {
        var hits = item.result().hits();
        if (!hits.hits().isEmpty() && hits.hits().get(0).source() != null) {
          out.merge(
              hits.hits().get(0).source().path(FirstSeenIndex.PRODUCT_ID).asText(),
              hits.total().value(),
              Long::sum);
        }
      }
    }
    return out;
  }

  /** The indices behind the first-seen alias: one per product. */
  private List<String> productIndices() {
    String alias = FirstSeenIndex.alias(indexPrefix);
    return List.copyOf(
        es.call(
                "list the indices of " + alias,
                c ->
                    c.indices()
                        .get(
                            g ->
                                g.index(alias)
                                    .ignoreUnavailable(true)
                                    .allowNoIndices(true)
                                    .features(Feature.Aliases)))
            .result()
            .keySet());
  }

  /**
   * One search per index of {@code indices} for a document and the exact count of all; an answer
   * that is not whole is refused, so the retry policy asks again.
   */
  private static List<MultiSearchResponseItem<JsonNode>> countUsers(
      ElasticsearchClient c, List<String> indices) throws java.io.IOException {
    var r =
        c.msearch(
            m -> {
              for (String index : indices) {
                m.searches(
                    s ->
                        s.header(h -> h.index(index))
                            .body(
                                b ->
                                    b.size(1)
                                        .trackTotalHits(t -> t.enabled(true))
                                        .source(
                                            x ->
                                                x.filter(
                                                    f -> f.includes(FirstSeenIndex.PRODUCT_ID)))
                                        .query(q -> q.matchAll(a -> a))));
              }
              return m;
            },
            JsonNode.class);
    for (MultiSearchResponseItem<JsonNode> item : r.responses()) {
      if (item.isFailure()) {
        throw new ElasticsearchConnection.PartialAnswer(
            "counting a product's users failed: " + item.failure().error().reason());
      }
      if (item.result().timedOut() || item.result().shards().failed().intValue() > 0) {
        throw new ElasticsearchConnection.PartialAnswer("counting a product's users was partial");
      }
    }
    return r.responses();
  }
}
