package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.channelanalytics.common.records.FirstSeenIndex;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recomputes reports from the first-seen documents: for each changed minute, the minute rows of its
 * hour, the hour row and the day row (hours and days in the report time zone), each window replaced
 * as a whole so that users who moved away leave no stale row.
 */
final class ReportCalculator {
  private static final Logger LOG = LoggerFactory.getLogger(ReportCalculator.class);

  private final Elasticsearch es;
  private final NewUserAggregations aggregations;
  private final ReportStore reports;
  private final String changesIndex;
  private final ZoneId zone;
  private volatile java.util.function.Consumer<Set<String>> onChange = products -> {};

  ReportCalculator(
      Elasticsearch es,
      NewUserAggregations aggregations,
      ReportStore reports,
      String indexPrefix,
      ZoneId zone) {
    this.es = es;
    this.aggregations = aggregations;
    this.reports = reports;
    this.changesIndex = FirstSeenIndex.changesIndex(indexPrefix);
    this.zone = zone;
  }

  /** Called with the products whose reports changed, after they are visible. */
  void onChange(java.util.function.Consumer<Set<String>> listener) {
    this.onChange = listener;
  }

  ZoneId zone() {
    return zone;
  }

  NewUserAggregations aggregations() {
    return aggregations;
  }

  ReportStore reports() {
    return reports;
  }

  /** Recomputes every window holding one of {@code minutes} of {@code product}. */
  void recompute(String product, Set<Long> minutes) {
    Set<Long> hours = new TreeSet<>();
    Set<Long> days = new TreeSet<>();
    for (long m : minutes) {
      hours.add(Granularity.HOUR.bucketStart(m, zone));
      days.add(Granularity.DAY.bucketStart(m, zone));
    }
    long now = System.currentTimeMillis();
    for (long hour : hours) {
      long next = Granularity.HOUR.nextBucket(hour, zone);
      reports.replace(
          product,
          Granularity.MINUTE,
          hour,
          next,
          aggregations.count(product, Granularity.MINUTE, zone, hour, next),
          now);
      reports.replace(
          product,
          Granularity.HOUR,
          hour,
          next,
          aggregations.count(product, Granularity.HOUR, zone, hour, next),
          now);
    }
    for (long day : days) {
      long next = Granularity.DAY.nextBucket(day, zone);
      reports.replace(
          product,
          Granularity.DAY,
          day,
          next,
          aggregations.count(product, Granularity.DAY, zone, day, next),
          now);
    }
  }

  /**
   * Recomputes the buckets the sharder marked as changed since {@code since} (epoch ms of the
   * marks' {@code changed_at}); returns how far the next call may start, or {@code since} when
   * nothing could be read.
   */
  long recomputeChangedSince(long since) {
    long started = System.currentTimeMillis();
    if (es.call("POST", "/" + changesIndex + "/_refresh", null) == null) {
      return since;
    }
    Map<String, Set<Long>> minutes = new HashMap<>();
    String after = null;
    while (true) {
      String body =
          "{\"size\":1000,\"query\":{\"range\":{\"changed_at\":{\"gte\":"
              + since
              + "}}},\"sort\":[{\"changed_at\":\"asc\"},{\"product_id\":\"asc\"}]"
              + (after == null ? "" : ",\"search_after\":" + after)
              + "}";
      JsonNode hits =
          es.call("POST", "/" + changesIndex + "/_search", body).path("hits").path("hits");
      for (JsonNode hit : hits) {
        JsonNode s = hit.get("_source");
        Set<Long> set = minutes.computeIfAbsent(s.get("product_id").asText(), p -> new TreeSet<>());
        for (JsonNode m : s.get("minutes")) {
          set.add(m.asLong());
        }
      }
      if (hits.size() < 1000) {
        break;
      }
      after = hits.get(hits.size() - 1).get("sort").toString();
    }
    minutes.forEach(this::recompute);
    if (!minutes.isEmpty()) {
      reports.refresh();
      onChange.accept(minutes.keySet());
      LOG.info(
          "recomputed {} changed minutes of {} products",
          minutes.values().stream().mapToInt(Set::size).sum(),
          minutes.size());
    }
    // Marks written before the refresh are all seen; a little overlap covers clock steps.
    return started - 2_000;
  }

  /** Recomputes the last {@code windowMillis} of every product. */
  void recomputeTrailing(long windowMillis) {
    long now = System.currentTimeMillis();
    Set<Long> minutes = new TreeSet<>();
    for (long m = Granularity.MINUTE.bucketStart(now - windowMillis, zone); m <= now; m += 60_000) {
      minutes.add(m);
    }
    Set<String> products = aggregations.products().keySet();
    for (String product : products) {
      recompute(product, minutes);
    }
    reports.refresh();
    onChange.accept(products);
  }
}
