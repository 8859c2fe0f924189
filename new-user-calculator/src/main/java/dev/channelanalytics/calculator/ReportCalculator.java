package dev.channelanalytics.calculator;

import dev.channelanalytics.store.FirstSeenStore;
import java.time.ZoneId;
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

  private final FirstSeenStore firstSeen;
  private final NewUserAggregations aggregations;
  private final ReportStore reports;
  private final ZoneId zone;
  private volatile java.util.function.Consumer<Set<String>> onChange = products -> {};

  ReportCalculator(
      FirstSeenStore firstSeen,
      NewUserAggregations aggregations,
      ReportStore reports,
      ZoneId zone) {
    this.firstSeen = firstSeen;
    this.aggregations = aggregations;
    this.reports = reports;
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
      replaceWindow(product, Granularity.MINUTE, hour, next, now);
      replaceWindow(product, Granularity.HOUR, hour, next, now);
    }
    for (long day : days) {
      replaceWindow(product, Granularity.DAY, day, Granularity.DAY.nextBucket(day, zone), now);
    }
  }

  /** Replaces the {@code granularity} rows of {@code product} in {@code [from, to)} by a count. */
  private void replaceWindow(
      String product, Granularity granularity, long from, long to, long computedAt) {
    reports.replace(
        product,
        granularity,
        from,
        to,
        aggregations.count(product, granularity, zone, from, to),
        computedAt);
  }

  /**
   * Recomputes the buckets the sharder marked as changed since {@code since} (epoch ms of the
   * marks' {@code changed_at}); returns how far the next call may start.
   */
  long recomputeChangedSince(long since) {
    long started = System.currentTimeMillis();
    Map<String, TreeSet<Long>> minutes = firstSeen.changedSince(since);
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
