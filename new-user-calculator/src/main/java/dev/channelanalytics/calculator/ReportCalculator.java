package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenIndex;
import dev.channelanalytics.store.FirstSeenStore;
import java.time.ZoneId;
import java.util.List;
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
  private final FinalBuckets finals;
  private final NewUserAggregations aggregations;
  private final ReportStore reports;
  private final ZoneId zone;
  private volatile java.util.function.Consumer<Set<String>> onChange = products -> {};

  ReportCalculator(
      FirstSeenStore firstSeen,
      NewUserAggregations aggregations,
      ReportStore reports,
      FinalBuckets finals,
      ZoneId zone) {
    this.firstSeen = firstSeen;
    this.finals = finals;
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

  /**
   * Users of a product per channel with t0 before {@code at}: the day rows of the days before the
   * day of {@code at}, and that day's first sightings counted. It costs by the product's days and
   * channels and one day's first sightings, not by all its users: counting its whole first-seen
   * index took 187 ms at 10,000,000 users ({@code bench/results/growth.txt}). Past days are as
   * fresh as the day view the API serves (a recompute behind the first sightings by about a
   * second); at {@link Long#MAX_VALUE} the answer is the day rows alone.
   */
  java.util.TreeMap<String, Long> cumulative(String product, long at) {
    long day = at == Long.MAX_VALUE ? at : firstInstantOfDay(at, zone);
    java.util.TreeMap<String, Long> out = reports.sums(product, Granularity.DAY, day);
    if (day < at) {
      aggregations.usersPerChannel(product, day, at).forEach((c, n) -> out.merge(c, n, Long::sum));
    }
    return out;
  }

  /**
   * The first instant of the local date of {@code at} in {@code zone}: where midnight happens twice
   * (a clock set back at midnight), the first one, so that the day's own row is never summed as a
   * past day's.
   */
  static long firstInstantOfDay(long at, ZoneId zone) {
    return java.time.LocalDate.ofInstant(java.time.Instant.ofEpochMilli(at), zone)
        .atStartOfDay(zone)
        .toInstant()
        .toEpochMilli();
  }

  /** One lock per product: the two jobs never replace the same product's windows at once. */
  private final java.util.concurrent.ConcurrentHashMap<String, Object> productLocks =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Recomputes every window holding one of {@code minutes} of {@code product}, never at the same
   * time as another recomputation of that product (the changed-bucket and trailing-window jobs run
   * side by side, and two replacements of one window could delete each other's rows).
   */
  void recompute(String product, Set<Long> minutes) {
    synchronized (productLocks.computeIfAbsent(product, p -> new Object())) {
      recomputeLocked(product, minutes);
    }
  }

  private final java.util.concurrent.atomic.AtomicLong lastComputedAt =
      new java.util.concurrent.atomic.AtomicLong();

  /** A computation time later than any before: rows of an earlier replacement are older. */
  private long computedAt() {
    long now = System.currentTimeMillis();
    return lastComputedAt.updateAndGet(last -> Math.max(now, last + 1));
  }

  private void recomputeLocked(String product, Set<Long> minutes) {
    TreeSet<Long> hours = new TreeSet<>();
    TreeSet<Long> days = new TreeSet<>();
    if (minutes.isEmpty()) {
      return;
    }
    for (long m : minutes) {
      hours.add(Granularity.HOUR.bucketStart(m, zone));
      days.add(Granularity.DAY.bucketStart(m, zone));
    }
    long now = computedAt();
    // The proven periods of the whole recompute, read once rather than once per window.
    Set<Long> provenHours =
        finals.periods(
            product,
            Granularity.HOUR.code(),
            hours.first(),
            Granularity.HOUR.nextBucket(hours.last(), zone));
    Set<Long> provenDays =
        finals.periods(
            product,
            Granularity.DAY.code(),
            days.first(),
            Granularity.DAY.nextBucket(days.last(), zone));
    for (long hour : hours) {
      long next = Granularity.HOUR.nextBucket(hour, zone);
      boolean proven = provenHours.contains(hour);
      replaceWindow(product, Granularity.MINUTE, hour, next, proven, now);
      replaceWindow(product, Granularity.HOUR, hour, next, proven, now);
    }
    for (long day : days) {
      long next = Granularity.DAY.nextBucket(day, zone);
      replaceWindow(product, Granularity.DAY, day, next, provenDays.contains(day), now);
    }
  }

  /**
   * Replaces the {@code granularity} rows of {@code product} in {@code [from, to)} by a count, and
   * records a restatement for every row of a proven period whose count is no longer the proven one.
   */
  private void replaceWindow(
      String product,
      Granularity granularity,
      long from,
      long to,
      boolean proven,
      long computedAt) {
    if (!proven) {
      // Streamed: a page of counts at a time into bulks, whatever the number of channels.
      ReportStore.WindowReplacement w =
          reports.replacing(product, granularity, from, to, computedAt);
      aggregations.forEachCount(
          product,
          granularity,
          zone,
          from,
          to,
          (k, users) -> w.put(k.bucket(), k.channel(), users));
      w.finish();
      return;
    }
    // A proven window is compared with its proven values: held, as it is one calibrated period.
    Map<NewUserAggregations.BucketChannel, Long> counts =
        aggregations.count(product, granularity, zone, from, to);
    reports.replace(product, granularity, from, to, counts, computedAt);
    Map<FinalBuckets.Key, Long> provenValues = finals.values(product, granularity.code(), from, to);
    Map<FinalBuckets.Key, Long> now = new java.util.HashMap<>();
    counts.forEach(
        (k, users) ->
            now.put(new FinalBuckets.Key(granularity.code(), k.bucket(), k.channel()), users));
    java.util.List<FinalBuckets.Restatement> changes = new java.util.ArrayList<>();
    Set<FinalBuckets.Key> keys = new java.util.HashSet<>(provenValues.keySet());
    keys.addAll(now.keySet());
    for (FinalBuckets.Key key : keys) {
      long was = provenValues.getOrDefault(key, 0L);
      long is = now.getOrDefault(key, 0L);
      if (was != is) {
        changes.add(new FinalBuckets.Restatement(key, was, is, computedAt));
      }
    }
    if (!changes.isEmpty()) {
      LOG.warn(
          "{} final {} rows of {} changed after calibration; recorded as restatements",
          changes.size(),
          granularity.code(),
          product);
      finals.restated(product, changes);
    }
  }

  /** The period calibration proves a row of {@code g} in: the hour, or the day for day rows. */
  private static Granularity periodOf(Granularity g) {
    return g == Granularity.DAY ? Granularity.DAY : Granularity.HOUR;
  }

  /**
   * The status of every row of a product's answer of {@code g} over [from, to): {@code final} while
   * its period is proven and its value is the proven one, else {@code provisional}.
   */
  java.util.function.Function<ReportStore.Row, String> statusOf(
      String product, Granularity g, long from, long to) {
    Granularity period = periodOf(g);
    Set<Long> proven = finals.periods(product, period.code(), period.bucketStart(from, zone), to);
    if (proven.isEmpty()) {
      return r -> PROVISIONAL;
    }
    Map<FinalBuckets.Key, Long> values = finals.values(product, g.code(), from, to);
    return r ->
        FinalBuckets.isFinal(
                values.get(new FinalBuckets.Key(g.code(), r.bucket(), r.channel())),
                proven.contains(period.bucketStart(r.bucket(), zone)),
                r.newUsers())
            ? FINAL
            : PROVISIONAL;
  }

  static final String PROVISIONAL = "provisional";
  static final String FINAL = "final";

  /**
   * When the report index holds rows of another zone than this calculator's (after {@code
   * report.time-zone} changed, or rows from a version before rows named their zone): marks every
   * minute of every product for recomputation in this zone, then deletes the other rows. Answers
   * read only this zone's rows, so none mixes two zones even while the rebuild runs; until it is
   * done, hours not yet recomputed answer no rows.
   */
  void rebuildIfOfOtherZones() {
    if (!reports.holdsRowsOfOtherZones()) {
      return;
    }
    LOG.warn(
        "The report index holds rows of another time zone than {} (report.time-zone changed, or"
            + " rows from before rows named their zone): recomputing every product's rows in {}",
        zone,
        zone);
    long now = System.currentTimeMillis();
    for (String product : aggregations.products().keySet()) {
      java.util.TreeSet<Long> minutes = aggregations.minutes(product);
      if (!minutes.isEmpty()) {
        firstSeen.markChanged(Map.of(product, minutes), now, "rebuild|" + zone.getId());
      }
    }
    LOG.info("deleted {} rows of other zones", reports.deleteRowsOfOtherZones());
  }

  /**
   * Whether change marks not recomputed yet (ready or pending) name a minute of {@code product} in
   * one of {@code ranges} ({@code [from, to)} pairs, epoch ms): its reports there are about to
   * change. The marks are consumed only after the reports they name are written and refreshed, so
   * once none is left the reports hold them.
   */
  boolean changesPending(String product, List<long[]> ranges) {
    var es = firstSeen.connection();
    String index = firstSeen.changesIndex();
    es.refresh(index);
    List<Query> any = new java.util.ArrayList<>();
    for (long[] r : ranges) {
      any.add(FirstSeenIndex.range(FirstSeenIndex.MINUTES, r[0], r[1]));
    }
    Query productMarks =
        Query.of(
            q -> q.term(t -> t.field(FirstSeenIndex.PRODUCT_ID).value(FieldValue.of(product))));
    Query query =
        Query.of(q -> q.bool(b -> b.filter(productMarks).should(any).minimumShouldMatch("1")));
    long marks =
        es.call(
                "count change marks of " + product,
                c ->
                    c.count(
                        x ->
                            x.index(index)
                                .ignoreUnavailable(true)
                                .allowNoIndices(true)
                                .query(query)))
            .count();
    return marks > 0;
  }

  /** Marks read and consumed per pass, so a backlog of marks is worked off in bounded steps. */
  static final int MARKS_PER_PASS = 1_000;

  /**
   * How long a pending mark (written before its documents) waits for the mark that says its
   * documents are written before it is recomputed anyway: its writer died in between, or is stuck.
   */
  static final long PENDING_ALLOWANCE_MILLIS = java.time.Duration.ofMinutes(5).toMillis();

  /**
   * Recomputes every bucket the marks name, a pass of at most {@link #MARKS_PER_PASS} marks at a
   * time until none is left, and consumes each mark once its buckets are written. No clock decides
   * what is read: a mark that becomes searchable late (a bulk retried after a 429, a paused writer,
   * a clock that differs) is simply read by a later pass, and a mark is read only when the
   * documents it announces have been acknowledged (the sharder marks pending before writing and
   * ready after); the first-seen indices are refreshed before counting, so acknowledged documents
   * are counted. Returns the number of marks recomputed.
   */
  int recomputeMarked() {
    int done = 0;
    while (true) {
      List<FirstSeenStore.ChangeMark> marks =
          firstSeen.marksToRecompute(
              MARKS_PER_PASS, System.currentTimeMillis() - PENDING_ALLOWANCE_MILLIS);
      if (marks.isEmpty()) {
        return done;
      }
      Map<String, TreeSet<Long>> minutes = new java.util.TreeMap<>();
      for (FirstSeenStore.ChangeMark m : marks) {
        minutes.computeIfAbsent(m.product(), p -> new TreeSet<>()).addAll(m.minutes());
      }
      for (Map.Entry<String, TreeSet<Long>> e : minutes.entrySet()) {
        firstSeen.refresh(e.getKey());
        recompute(e.getKey(), e.getValue());
      }
      reports.refresh();
      int stayed = firstSeen.consume(marks);
      onChange.accept(minutes.keySet());
      LOG.info(
          "recomputed {} changed minutes of {} products from {} marks ({} written again meanwhile,"
              + " kept for the next pass)",
          minutes.values().stream().mapToInt(Set::size).sum(),
          minutes.size(),
          marks.size(),
          stayed);
      done += marks.size();
      if (marks.size() < MARKS_PER_PASS) {
        return done;
      }
    }
  }

  /** Recomputes the last {@code windowMillis} of every product. */
  void recomputeTrailing(long windowMillis) {
    long now = System.currentTimeMillis();
    Set<Long> minutes = new TreeSet<>();
    for (long m = Granularity.MINUTE.bucketStart(now - windowMillis, zone); m <= now; m += 60_000) {
      minutes.add(m);
    }
    long start = System.nanoTime();
    Set<String> products = aggregations.products().keySet();
    for (String product : products) {
      recompute(product, minutes);
    }
    reports.refresh();
    onChange.accept(products);
    LOG.info(
        "recomputed the trailing {} minutes of {} products in {} ms",
        minutes.size(),
        products.size(),
        (System.nanoTime() - start) / 1_000_000);
  }
}
