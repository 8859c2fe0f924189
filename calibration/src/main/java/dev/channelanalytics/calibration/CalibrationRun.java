package dev.channelanalytics.calibration;

import dev.channelanalytics.calculator.CalculatorSettings;
import dev.channelanalytics.calculator.Granularity;
import dev.channelanalytics.calculator.NewUserAggregations;
import dev.channelanalytics.calculator.ReportStore;
import dev.channelanalytics.store.CalibrationRecords;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenStore;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One calibration over the first-seen hours [from, to) of one or every product: each hour is
 * compared user by user and repaired ({@link HourCalibration}), then bucket by bucket: the offline
 * hourly new users ({@code ads_new_users_hourly}) and the minute counts of the offline first
 * sightings against the calculator's report rows of the hour and its minutes, waiting for the
 * calculator to recompute what the repair marked. An hour that ends equal is finalised ({@link
 * FinalBuckets#finalise}); a day once all of its hours are, when its day rows equal the sum of its
 * proven hours. Every hour is recorded ({@link CalibrationRecords}) and reported as a progress
 * line.
 *
 * <p>A dry run compares users and buckets and writes nothing: no repair, no mark, no finalisation,
 * no record.
 */
public final class CalibrationRun {
  private static final Logger LOG = LoggerFactory.getLogger(CalibrationRun.class);
  private static final long POLL_MILLIS = 500;

  /**
   * What to calibrate.
   *
   * @param from first hour of first-seen time (epoch ms; rounded down to its hour)
   * @param to end of the range (exclusive)
   * @param product one product, or null for every product either path has
   * @param dryRun compare only
   * @param origin what asked for the run (a command, the nightly schedule, an offline run)
   */
  public record Request(long from, long to, String product, boolean dryRun, String origin) {}

  /**
   * What a run found.
   *
   * @param hours product-hours compared
   * @param finalHours hours that ended final (equal, for a dry run)
   * @param finalDays days finalised
   * @param differing users that differed before repair, over all hours
   * @param repaired first sightings written or removed
   * @param remaining the hours that still differ, each with its reason
   */
  public record Summary(
      int hours,
      int finalHours,
      int finalDays,
      long differing,
      long repaired,
      List<String> remaining) {
    /** True when every compared hour ended equal (and final, unless a dry run). */
    public boolean equal() {
      return remaining.isEmpty();
    }
  }

  private final CalibrationSettings settings;
  private final ZoneId zone;
  private final FirstSeenStore store;
  private final ReportStore reports;
  private final FinalBuckets finals;
  private final CalibrationRecords records;
  private final NewUserAggregations aggregations;
  private CalibrationMetrics metrics;

  public CalibrationRun(CalibrationSettings settings, ElasticsearchConnection es) {
    this.settings = settings;
    this.zone = settings.zone();
    CalculatorSettings layout = settings.reports();
    this.store =
        new FirstSeenStore(es, layout.indexPrefix(), layout.indexShards(), layout.indexReplicas());
    this.reports = new ReportStore(es, layout.reportIndex(), zone);
    this.finals = new FinalBuckets(es, layout.reportIndex());
    this.records = new CalibrationRecords(es, layout.reportIndex());
    this.aggregations = new NewUserAggregations(es, layout.indexPrefix());
  }

  /** Also reports each hour compared to {@code metrics}. */
  CalibrationRun reportingTo(CalibrationMetrics metrics) {
    this.metrics = metrics;
    return this;
  }

  /** Runs {@code request} against the offline answer {@code offline}, reporting to progress. */
  public Summary run(Request request, OfflineFirstSeen offline, Consumer<String> progress)
      throws SQLException, InterruptedException {
    long from = Granularity.HOUR.bucketStart(request.from(), zone);
    // The end of the report hour holding the range's last instant: where hours start at :30 UTC, a
    // range asked in UTC hours ends inside one, and all of it is compared.
    long to =
        Granularity.HOUR.nextBucket(Granularity.HOUR.bucketStart(request.to() - 1, zone), zone);
    String run = request.origin() + "@" + Instant.now();
    OfflineRange range = OfflineRange.read(offline, from, to, zone);
    TreeSet<String> products = new TreeSet<>();
    if (request.product() != null) {
      products.add(request.product());
    } else {
      products.addAll(range.products());
      products.addAll(aggregations.products().keySet());
    }
    HourCalibration hours = new HourCalibration(range, store);
    int compared = 0;
    int finalHours = 0;
    int finalDays = 0;
    long differing = 0;
    long repaired = 0;
    List<String> remaining = new ArrayList<>();
    for (String product : products) {
      java.util.Set<Long> offlineHours = range.hoursWithUsers(product);
      TreeSet<Long> days = new TreeSet<>();
      List<CalibrationRecords.HourRecord> done = new ArrayList<>();
      // The proven hours of the day being compared, finalised together once the loop leaves it:
      // one request per day instead of one per hour, and never more than a day of rows held.
      List<FinalBuckets.Period> proven = new ArrayList<>();
      for (long h = from; h < to; h = Granularity.HOUR.nextBucket(h, zone)) {
        compared++;
        long day = Granularity.DAY.bucketStart(h, zone);
        if (!days.isEmpty() && day != days.last()) {
          finaliseHours(product, proven, request.dryRun());
        }
        days.add(day);
        CalibrationRecords.HourRecord r =
            hour(run, hours, range, product, h, offlineHours.contains(h), request.dryRun(), proven);
        differing += r.differing();
        repaired += r.repaired();
        if (r.reason().isEmpty()) {
          finalHours++;
        } else {
          remaining.add(Instant.ofEpochMilli(h) + " " + product + ": " + r.reason());
        }
        progress.accept(line(r, request.dryRun()));
        if (r.alert()) {
          LOG.warn(
              "ALERT calibration error rate {} above {} for {} in the hour {}",
              r.errorRate(),
              settings.alertErrorRate(),
              product,
              Instant.ofEpochMilli(h));
        }
        if (metrics != null) {
          metrics.hour(product, r.errorRate(), r.reason().isEmpty());
        }
        done.add(r);
      }
      finaliseHours(product, proven, request.dryRun());
      if (!request.dryRun()) {
        records.store(done);
        for (long day : days) {
          String outcome = finaliseDay(product, day);
          if (outcome.equals("final")) {
            finalDays++;
          }
          progress.accept("day " + Instant.ofEpochMilli(day) + " " + product + ": " + outcome);
        }
      }
    }
    Summary summary = new Summary(compared, finalHours, finalDays, differing, repaired, remaining);
    progress.accept(
        String.format(
            Locale.ROOT,
            "summary: %d hour(s) compared, %d %s, %d day(s) final, %d user(s) differed, %d"
                + " repaired, %d hour(s) still differ",
            compared,
            finalHours,
            request.dryRun() ? "equal" : "final",
            finalDays,
            differing,
            repaired,
            remaining.size()));
    return summary;
  }

  /**
   * Calibrates one product-hour and says how it ended; a proven hour is added to {@code proven}
   * with its rows, to be finalised unless a dry run.
   */
  private CalibrationRecords.HourRecord hour(
      String run,
      HourCalibration hours,
      OfflineRange offline,
      String product,
      long hour,
      boolean offlineHasUsers,
      boolean dryRun,
      List<FinalBuckets.Period> proven)
      throws SQLException, InterruptedException {
    long end = Granularity.HOUR.nextBucket(hour, zone);
    long offlineUsers = 0;
    long realTimeUsers = 0;
    long differingUsers = 0;
    long repaired = 0;
    double errorRate = 0;
    Map<FinalBuckets.Key, Long> expected;
    String reason = "";
    if (!offlineHasUsers && !store.stored(product, hour, end).hasNext()) {
      // Neither path has a user: nothing to compare user by user, and no row may exist.
      expected = Map.of();
    } else {
      HourCalibration.Outcome o = hours.calibrate(product, hour, dryRun);
      offlineUsers = o.before().offlineUsers();
      realTimeUsers = o.before().realTimeUsers();
      differingUsers = o.before().differingUsers();
      errorRate = o.before().errorRate();
      repaired = o.written() + o.removed();
      expected = o.offlineRows();
      if (!o.equal()) {
        reason = o.after().differingUsers() + " user(s) differ: " + o.after().differing();
        if (!o.sealed()) {
          reason += " (the hour's archive is not sealed: users only real time has are kept)";
        }
      } else {
        Map<String, Long> hourly = offline.hourlyNewUsers(product, hour);
        Map<String, Long> counted = new TreeMap<>();
        expected.forEach(
            (k, v) -> {
              if (k.granularity().equals(Granularity.HOUR.code())) {
                counted.put(k.channel(), v);
              }
            });
        if (!hourly.equals(counted)) {
          reason =
              "the offline hourly new users "
                  + hourly
                  + " disagree with its first sightings "
                  + counted;
        }
      }
    }
    if (reason.isEmpty()) {
      reason =
          awaitRows(
              product,
              List.of(Granularity.MINUTE, Granularity.HOUR),
              hour,
              end,
              expected,
              dryRun ? java.time.Duration.ZERO : settings.recomputeTimeout());
    }
    boolean equal = reason.isEmpty();
    if (equal) {
      proven.add(new FinalBuckets.Period(hour, end, expected));
    }
    return new CalibrationRecords.HourRecord(
        run,
        product,
        hour,
        offlineUsers,
        realTimeUsers,
        differingUsers,
        repaired,
        errorRate,
        equal ? (dryRun ? "equal" : "final") : "differs",
        reason,
        errorRate > settings.alertErrorRate(),
        now());
  }

  /**
   * Waits until the report rows of {@code granularities} in [from, to) equal {@code expected}, for
   * at most {@code timeout}; empty when they do, else which rows differ.
   */
  private String awaitRows(
      String product,
      List<Granularity> granularities,
      long from,
      long to,
      Map<FinalBuckets.Key, Long> expected,
      java.time.Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<FinalBuckets.Key, Long> stored = new HashMap<>();
      for (Granularity g : granularities) {
        for (ReportStore.Row r : reports.rows(product, g, from, to, null)) {
          stored.put(new FinalBuckets.Key(g.code(), r.bucket(), r.channel()), r.newUsers());
        }
      }
      String difference = difference(expected, stored);
      if (difference.isEmpty() || System.nanoTime() >= deadline) {
        return difference;
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  /** Finalises the proven hours {@code proven} (unless a dry run) and empties the list. */
  private void finaliseHours(String product, List<FinalBuckets.Period> proven, boolean dryRun) {
    if (!dryRun) {
      finals.finalise(product, Granularity.HOUR.code(), proven, now());
    }
    proven.clear();
  }

  /**
   * Finalises a day of a product when every one of its hours is proven and its day rows equal the
   * sum of the proven hours; says what happened.
   */
  private String finaliseDay(String product, long day) throws InterruptedException {
    long end = Granularity.DAY.nextBucket(day, zone);
    TreeSet<Long> proven = finals.periods(product, Granularity.HOUR.code(), day, end);
    int hours = 0;
    for (long h = day; h < end; h = Granularity.HOUR.nextBucket(h, zone)) {
      hours++;
    }
    if (proven.size() < hours) {
      return "provisional (" + proven.size() + " of its " + hours + " hours final)";
    }
    Map<FinalBuckets.Key, Long> expected = new HashMap<>();
    finals
        .values(product, Granularity.HOUR.code(), day, end)
        .forEach(
            (k, v) ->
                expected.merge(
                    new FinalBuckets.Key(Granularity.DAY.code(), day, k.channel()), v, Long::sum));
    String difference =
        awaitRows(
            product, List.of(Granularity.DAY), day, end, expected, settings.recomputeTimeout());
    if (!difference.isEmpty()) {
      return "provisional: " + difference;
    }
    finals.finalise(product, Granularity.DAY.code(), day, end, expected, now());
    return "final";
  }

  /** Empty when equal; else how many report rows differ from the offline path and the first. */
  private static String difference(
      Map<FinalBuckets.Key, Long> offline, Map<FinalBuckets.Key, Long> report) {
    TreeMap<String, String> differing = new TreeMap<>();
    java.util.Set<FinalBuckets.Key> keys = new java.util.HashSet<>(offline.keySet());
    keys.addAll(report.keySet());
    for (FinalBuckets.Key k : keys) {
      long o = offline.getOrDefault(k, 0L);
      long r = report.getOrDefault(k, 0L);
      if (o != r) {
        differing.put(
            k.granularity() + " " + Instant.ofEpochMilli(k.bucket()) + " " + k.channel(),
            "report " + r + ", offline " + o);
      }
    }
    if (differing.isEmpty()) {
      return "";
    }
    var first = differing.firstEntry();
    return differing.size()
        + " report row(s) differ from the offline path, first "
        + first.getKey()
        + ": "
        + first.getValue();
  }

  private static String line(CalibrationRecords.HourRecord r, boolean dryRun) {
    return String.format(
        Locale.ROOT,
        "%s %s: offline %d, real-time %d, differing %d (error rate %.4f%s), %s %d: %s%s",
        Instant.ofEpochMilli(r.hour()),
        r.product(),
        r.offlineUsers(),
        r.realTimeUsers(),
        r.differing(),
        r.errorRate(),
        r.alert() ? ", ALERT" : "",
        dryRun ? "would repair" : "repaired",
        dryRun ? r.differing() : r.repaired(),
        r.outcome(),
        r.reason().isEmpty() ? "" : ": " + r.reason());
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
