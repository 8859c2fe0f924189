package dev.channelanalytics.bench;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.SimulatedTraffic;
import dev.channelanalytics.testing.TestKeyring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures the offline ETL of one hour: events per second for the whole run of that hour (archive
 * from Kafka into Hive, decode and map, hourly first sightings, then the cumulative first sightings
 * and the hourly new users), on the warehouse service as the local stack runs it (its own JVM,
 * Spark local[2]) and asked through its run endpoint, like {@code channel offline run}.
 *
 * <p>The hour is simulator traffic stamped with its receive times, so every record belongs to the
 * hour; it is the hour that ended an hour before the bench starts, so the broker's retention keeps
 * its records whatever the date. The hour is run {@code runs} times; each run archives it again
 * (its range is still open, as no later record exists). The users the run publishes are checked
 * against the reference model.
 *
 * <p>With {@code history=1,7,30} the same hour is run after that many days of history: first
 * sightings of {@code history-users-per-day} users a day (default 100,000, 10 channels, product
 * {@code history}) written into the hourly first-seen partitions of the days before the hour, as
 * the hours' own runs would have left them. At each size the first run rebuilds the published
 * sightings from every hour (as after a new warehouse), the others merge the hour into them, as
 * every scheduled run does; the report gives each part's time per size, so what grows with history
 * shows.
 *
 * <p>Arguments as {@code name=value}: {@code envelopes} (default 400000), {@code partitions} (of
 * raw-logs, default 4), {@code runs} (default 5; the first one includes start-up, the others give
 * the median), {@code heap} (warehouse heap, default 2g), {@code history} and {@code
 * history-users-per-day} (above), {@code out} (default {@code bench/results/offline-etl.txt}, or
 * {@code bench/results/offline-history.txt} with history).
 */
public final class OfflineEtlBench {
  private static final Pattern HOUR_LINE =
      Pattern.compile("\\[1/1] \\S+\\s+([\\d,]+) records\\s+([\\d,]+) events.*?([\\d.]+) s$");
  private static final Pattern PUBLISHED =
      Pattern.compile("published: ([\\d,]+) users first seen.*?([\\d.]+) s$");

  private OfflineEtlBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int envelopes = Integer.parseInt(options.getOrDefault("envelopes", "400000"));
    int partitions = Integer.parseInt(options.getOrDefault("partitions", "4"));
    int runs = Integer.parseInt(options.getOrDefault("runs", "5"));
    String heap = options.getOrDefault("heap", "2g");
    List<Integer> history =
        options.containsKey("history")
            ? java.util.stream.Stream.concat(
                    // No history first: its run creates the tables the history is written into.
                    java.util.stream.Stream.of(0),
                    java.util.Arrays.stream(options.get("history").split(","))
                        .map(String::trim)
                        .map(Integer::parseInt))
                .distinct()
                .sorted()
                .toList()
            : List.of();
    long usersPerDay = Long.parseLong(options.getOrDefault("history-users-per-day", "100000"));
    Path out =
        Paths.get(
            options.getOrDefault(
                "out",
                history.isEmpty()
                    ? "bench/results/offline-etl.txt"
                    : "bench/results/offline-history.txt"));

    Path dir = Files.createTempDirectory("offline-bench-");
    TestKeyring keys = TestKeyring.write(dir);
    Keyring keyring = keys.keyring();
    // The hour before the last one that ended: every stamp is in the past and well inside the
    // broker's retention (7 days), which would delete records of a fixed, older hour before the
    // archive reads them.
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);

    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("raw-logs", partitions);
      kafka.createTopic("product-config", 1);
      NewUserOracle oracle = new NewUserOracle(keyring);
      long started = System.nanoTime();
      SimulatedTraffic.publish(
          kafka.bootstrapServers(),
          "raw-logs",
          "product-config",
          new TrafficSimulator(
              SimulationSpec.defaults(
                  5,
                  envelopes,
                  hour.toEpochMilli() + 60_000,
                  Duration.ofMinutes(58),
                  List.of("k1")),
              keyring),
          oracle,
          true);
      System.out.printf(
          "published %,d envelopes (%,d valid events) in %.1f s%n",
          oracle.envelopes(), oracle.acceptedEvents(), (System.nanoTime() - started) / 1e9);

      ChannelConfig config =
          PipelineFixture.withWarehouse(
              PipelineFixture.withLocalAccess(
                  ChannelConfig.load(null, dir, Map.of(), new Properties())
                      .with(Setting.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                      .with(Setting.KEYRING_FILE, keys.file().toString())
                      .with(Setting.STATE_DIR, dir.resolve("state").toString()),
                  dir),
              heap);
      LocalJob warehouse =
          LocalJobs.warehouse(config, Distributions.ofThisBuild(), dir.resolve("offline"));
      warehouse.prepare();
      ManagedProcess process = warehouse.start(false);
      try {
        Poll.until("warehouse up", Duration.ofMinutes(3), warehouse::healthy);
        List<String> report = new ArrayList<>();
        report.add("# Offline ETL: one hour archived from Kafka and recomputed in Hive");
        report.add("date: " + Instant.now());
        report.add(
            String.format(
                "setup: %d cores, %,d envelopes in one hour (%,d valid events, %,d users),"
                    + " raw-logs %d partitions, warehouse JVM %s heap, Spark local[2], Derby"
                    + " metastore, Parquet tables",
                Runtime.getRuntime().availableProcessors(),
                oracle.envelopes(),
                oracle.acceptedEvents(),
                oracle.firstSeen().size(),
                partitions,
                heap));
        if (history.isEmpty()) {
          runs(config, hour, runs, oracle.firstSeen().size(), "after start-up", report);
        } else {
          report.add(
              String.format(
                  "history: %,d users a day of product history (10 channels) in the hourly"
                      + " first-seen partitions of the days before the hour; run 1 at each size"
                      + " rebuilds the published sightings from every hour, the others merge the"
                      + " hour into them",
                  usersPerDay));
          try (HistorySeed seed = HistorySeed.connect(config)) {
            for (int days : history) {
              long seeded = seed.seedDays(hour, days, usersPerDay);
              if (days > 0) {
                seed.forgetPublished();
              }
              report.add(String.format("## after %d day(s) of history: %,d users", days, seeded));
              runs(
                  config,
                  hour,
                  runs,
                  oracle.firstSeen().size() + seeded,
                  days == 0 ? "after start-up" : "rebuilt from every hour",
                  report);
            }
          }
        }
        report.forEach(System.out::println);
        BenchSupport.write(out, report);
        System.out.println("written to " + out);
      } finally {
        process.stop(Duration.ofSeconds(30));
      }
    }
  }

  /**
   * Runs the hour {@code runs} times and adds each run's figures and their median to report; {@code
   * firstRun} says what the first run is.
   */
  private static void runs(
      ChannelConfig config,
      Instant hour,
      int runs,
      long expectedUsers,
      String firstRun,
      List<String> report)
      throws Exception {
    List<Double> warm = new ArrayList<>();
    List<Double> warmPublish = new ArrayList<>();
    double first = 0;
    for (int i = 1; i <= runs; i++) {
      long t0 = System.nanoTime();
      List<String> lines = PipelineFixture.offlineRun(config, hour, hour.plusSeconds(3600));
      lines.forEach(l -> System.out.println("  " + l));
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (!lines.get(lines.size() - 1).equals("done")) {
        throw new IllegalStateException("the run failed: " + lines);
      }
      long events = 0;
      long users = 0;
      double hourSeconds = 0;
      double publishSeconds = 0;
      String how = "";
      for (String line : lines) {
        Matcher h = HOUR_LINE.matcher(line);
        if (h.find()) {
          events = Long.parseLong(h.group(2).replace(",", ""));
          hourSeconds = Double.parseDouble(h.group(3));
        }
        Matcher p = PUBLISHED.matcher(line);
        if (p.find()) {
          users = Long.parseLong(p.group(1).replace(",", ""));
          publishSeconds = Double.parseDouble(p.group(2));
          how = line.contains("merged") ? "merged" : line.contains("rebuilt") ? "rebuilt" : "";
        }
      }
      if (i == 1) {
        first = events / seconds;
      } else {
        warm.add(events / seconds);
        warmPublish.add(publishSeconds);
      }
      report.add(
          String.format(
              "run %d: %,d events in %.1f s = %,.0f events/s for the whole run"
                  + " (hour: archive, decode, map, hourly first sightings %.1f s; cumulative"
                  + " first sightings%s and hourly new users %.1f s); users published %,d,"
                  + " expected %,d: %s",
              i,
              events,
              seconds,
              events / seconds,
              hourSeconds,
              how.isEmpty() ? "" : " (" + how + ")",
              publishSeconds,
              users,
              expectedUsers,
              users == expectedUsers ? "equal" : "DIFFERENT"));
    }
    if (warm.size() > 0) {
      report.add(
          String.format(
              "warm runs (2..%d): median %,.0f events/s, min %,.0f, max %,.0f; publish median"
                  + " %.1f s; first run (%s): %,.0f",
              runs,
              median(warm),
              warm.stream().mapToDouble(Double::doubleValue).min().getAsDouble(),
              warm.stream().mapToDouble(Double::doubleValue).max().getAsDouble(),
              median(warmPublish),
              firstRun,
              first));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.size() % 2 == 1
        ? sorted.get(sorted.size() / 2)
        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
  }
}
