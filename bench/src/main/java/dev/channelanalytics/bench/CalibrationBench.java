package dev.channelanalytics.bench;

import dev.channelanalytics.calibration.HourCalibration;
import dev.channelanalytics.calibration.OfflineAnswer;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.KeywordOrder;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.EmbeddedElasticsearch;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Calibration's real-time side at the scale of a day: {@code users} first sightings (default
 * 1,000,000) of one product over 24 hours in the local Elasticsearch, compared hour by hour with
 * the same answer held as the offline side, then a tenth of them deleted and the day calibrated
 * back. Reports the users compared per second (both sides streamed; the real-time side paged from
 * Elasticsearch) and the time of the repair.
 *
 * <p>The offline side here is the answer in memory, in device order, not Hive: this measures the
 * store, the merge and the repairs; reading {@code dws_first_seen} over Hive JDBC adds its own
 * cost, which the calibration service's benchmark will include.
 *
 * <p>Arguments as {@code name=value}: {@code users} (default 1000000), {@code out} (default {@code
 * bench/results/calibration.txt}).
 */
public final class CalibrationBench {
  private static final String PRODUCT = "browser";
  private static final long HOUR = 3_600_000L;

  private CalibrationBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int users = Integer.parseInt(options.getOrDefault("users", "1000000"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/calibration.txt"));
    long day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(2, ChronoUnit.DAYS).toEpochMilli();

    // The offline answer per hour, each in device order, as dws_first_seen is read.
    List<NavigableMap<String, FirstSeenRecord>> offline = new ArrayList<>();
    for (int h = 0; h < 24; h++) {
      offline.add(new TreeMap<>(KeywordOrder.INSTANCE));
    }
    Random random = new Random(17);
    List<FirstSeenStore.Write> writes = new ArrayList<>(users);
    for (int i = 0; i < users; i++) {
      long t0 = day + (long) (random.nextDouble() * 24 * HOUR);
      FirstSeenRecord r =
          new FirstSeenRecord(
              PRODUCT,
              Long.toHexString(random.nextLong()),
              t0,
              "channel_" + random.nextInt(300),
              "ak_" + random.nextInt(4));
      offline.get((int) ((t0 - day) / HOUR)).put(r.deviceId(), r);
      writes.add(new FirstSeenStore.Write(r, false));
    }
    int distinct = offline.stream().mapToInt(Map::size).sum();
    OfflineAnswer answer =
        new OfflineAnswer() {
          @Override
          public Iterator<FirstSeenRecord> firstSeen(String product, long from, long to) {
            return offline.get((int) ((from - day) / HOUR)).values().iterator();
          }

          @Override
          public boolean sealed(long hourStart) {
            return true;
          }
        };

    try (EmbeddedElasticsearch node = EmbeddedElasticsearch.start();
        ElasticsearchConnection es =
            ElasticsearchConnection.open(node.url(), RetryPolicy.forever())) {
      FirstSeenStore store = new FirstSeenStore(es, "calibration-bench-", 1, 0);
      store.ensureProductIndex(PRODUCT);
      long t = System.nanoTime();
      writeInParallel(store, writes);
      double writeSeconds = (System.nanoTime() - t) / 1e9;
      System.out.printf("wrote %,d first sightings in %.1f s%n", distinct, writeSeconds);
      HourCalibration calibration = new HourCalibration(answer, store);

      t = System.nanoTime();
      long compared = 0;
      for (int h = 0; h < 24; h++) {
        HourCalibration.Outcome o = calibration.calibrate(PRODUCT, day + h * HOUR, true);
        check(o.before().equal(), "the day agrees before the loss: " + o);
        compared += o.before().offlineUsers() + o.before().realTimeUsers();
      }
      double compareSeconds = (System.nanoTime() - t) / 1e9;
      System.out.printf(
          "compared %,d users (both sides) in %.1f s%n", compared / 2, compareSeconds);

      List<FirstSeenRecord> lost = new ArrayList<>();
      offline.forEach(
          hour -> {
            int k = 0;
            for (FirstSeenRecord r : hour.values()) {
              if (k++ % 10 == 0) {
                lost.add(r);
              }
            }
          });
      store.delete(lost);

      t = System.nanoTime();
      long written = 0;
      long before = 0;
      for (int h = 0; h < 24; h++) {
        HourCalibration.Outcome o = calibration.calibrate(PRODUCT, day + h * HOUR, false);
        check(o.equal(), "the day agrees after the repair: " + o);
        before += o.before().differingUsers();
        written += o.written();
      }
      double repairSeconds = (System.nanoTime() - t) / 1e9;
      check(before == lost.size() && written == lost.size(), "every lost user found and repaired");
      System.out.printf("repaired %,d lost users in %.1f s%n", written, repairSeconds);

      List<String> report = new ArrayList<>();
      report.add(
          "# Calibration, real-time side: one day of first sightings compared and a 10% loss repaired");
      report.add("date: " + Instant.now());
      report.add(
          String.format(
              "setup: %d cores, %,d users of one product over 24 hours, 300 channels, Elasticsearch"
                  + " 512m heap, 1 shard, 0 replicas; the offline side in memory in device order"
                  + " (not Hive)",
              Runtime.getRuntime().availableProcessors(), distinct));
      report.add(
          String.format(
              "written (2 threads, bulks of 5,000): %,.0f documents/s", distinct / writeSeconds));
      report.add(
          String.format(
              "compared (dry run, 24 hours): %,.0f users/s, %.1f s for the day",
              distinct / compareSeconds, compareSeconds));
      report.add(
          String.format(
              "repaired: %,d lost users found, written and compared again in %.1f s (%,.0f users of"
                  + " the day per second)",
              lost.size(), repairSeconds, distinct / repairSeconds));
      BenchSupport.write(out, report);
      report.forEach(System.out::println);
    }
  }

  private static void writeInParallel(FirstSeenStore store, List<FirstSeenStore.Write> writes)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int from = 0; from < writes.size(); from += FirstSeenStore.MAX_BULK_ITEMS) {
        List<FirstSeenStore.Write> bulk =
            writes.subList(from, Math.min(writes.size(), from + FirstSeenStore.MAX_BULK_ITEMS));
        futures.add(pool.submit(() -> store.write(bulk, 1L)));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("benchmark check failed: " + what);
    }
  }
}
