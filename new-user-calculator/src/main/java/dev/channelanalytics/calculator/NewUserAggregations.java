package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.channelanalytics.common.records.FirstSeenIndex;
import java.time.ZoneId;
import java.util.TreeMap;

/**
 * New users counted straight from the first-seen documents with composite aggregations, which page,
 * so thousands of channels are counted exactly.
 */
final class NewUserAggregations {
  /** A report row's key. */
  record BucketChannel(long bucket, String channel) implements Comparable<BucketChannel> {
    @Override
    public int compareTo(BucketChannel o) {
      int c = Long.compare(bucket, o.bucket);
      return c != 0 ? c : channel.compareTo(o.channel);
    }
  }

  private static final int PAGE = 1_000;

  private final Elasticsearch es;
  private final String indexPrefix;

  NewUserAggregations(Elasticsearch es, String indexPrefix) {
    this.es = es;
    this.indexPrefix = indexPrefix;
  }

  /** New users per (bucket, channel) of a product with t0 in [from, to). */
  TreeMap<BucketChannel, Long> count(
      String product, Granularity granularity, ZoneId zone, long from, long to) {
    TreeMap<BucketChannel, Long> out = new TreeMap<>();
    String index = FirstSeenIndex.indexOf(indexPrefix, product);
    String after = null;
    while (true) {
      String body =
          "{\"size\":0,\"query\":{\"range\":{\"t0\":{\"gte\":"
              + from
              + ",\"lt\":"
              + to
              + "}}},\"aggs\":{\"b\":{\"composite\":{\"size\":"
              + PAGE
              + ",\"sources\":[{\"bucket\":{\"date_histogram\":{\"field\":\"t0\","
              + granularity.histogramInterval()
              + ",\"time_zone\":\""
              + zone.getId()
              + "\"}}},{\"channel\":{\"terms\":{\"field\":\"channel\"}}}]"
              + (after == null ? "" : ",\"after\":" + after)
              + "}}}}";
      JsonNode r = es.call("POST", "/" + index + "/_search", body);
      if (r == null) {
        return out;
      }
      JsonNode agg = r.path("aggregations").path("b");
      for (JsonNode b : agg.path("buckets")) {
        out.put(
            new BucketChannel(
                b.get("key").get("bucket").asLong(), b.get("key").get("channel").asText()),
            b.get("doc_count").asLong());
      }
      if (agg.path("buckets").size() < PAGE || !agg.has("after_key")) {
        return out;
      }
      after = agg.get("after_key").toString();
    }
  }

  /** Users of a product per channel with t0 before {@code at}. */
  TreeMap<String, Long> cumulative(String product, long at) {
    TreeMap<String, Long> out = new TreeMap<>();
    String index = FirstSeenIndex.indexOf(indexPrefix, product);
    String after = null;
    while (true) {
      String body =
          "{\"size\":0,\"query\":{\"range\":{\"t0\":{\"lt\":"
              + at
              + "}}},\"aggs\":{\"c\":{\"composite\":{\"size\":"
              + PAGE
              + ",\"sources\":[{\"channel\":{\"terms\":{\"field\":\"channel\"}}}]"
              + (after == null ? "" : ",\"after\":" + after)
              + "}}}}";
      JsonNode r = es.call("POST", "/" + index + "/_search", body);
      if (r == null) {
        return out;
      }
      JsonNode agg = r.path("aggregations").path("c");
      for (JsonNode b : agg.path("buckets")) {
        out.put(b.get("key").get("channel").asText(), b.get("doc_count").asLong());
      }
      if (agg.path("buckets").size() < PAGE || !agg.has("after_key")) {
        return out;
      }
      after = agg.get("after_key").toString();
    }
  }

  /** Every product with at least one first-seen document. */
  TreeMap<String, Long> products() {
    TreeMap<String, Long> out = new TreeMap<>();
    String alias = FirstSeenIndex.alias(indexPrefix);
    String after = null;
    while (true) {
      String body =
          "{\"size\":0,\"aggs\":{\"p\":{\"composite\":{\"size\":"
              + PAGE
              + ",\"sources\":[{\"product\":{\"terms\":{\"field\":\"product_id\"}}}]"
              + (after == null ? "" : ",\"after\":" + after)
              + "}}}}";
      JsonNode r = es.call("POST", "/" + alias + "/_search", body);
      if (r == null) {
        return out;
      }
      JsonNode agg = r.path("aggregations").path("p");
      for (JsonNode b : agg.path("buckets")) {
        out.put(b.get("key").get("product").asText(), b.get("doc_count").asLong());
      }
      if (agg.path("buckets").size() < PAGE || !agg.has("after_key")) {
        return out;
      }
      after = agg.get("after_key").toString();
    }
  }
}
