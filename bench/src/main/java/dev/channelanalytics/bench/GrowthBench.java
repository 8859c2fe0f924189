package dev.channelanalytics.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.EmbeddedElasticsearch;
import dev.channelanalytics.testing.FreePorts;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How the calculator and the report API behave as history grows: first sightings of one product
 * spread over the last {@code days} days are written through the store as the sharder writes them
 * in steps up to each size, each step followed by one change mark of every minute it wrote (as a
 * backfill would mark them); after the calculator has worked off every mark and its day answers
 * equal the documents written, the harness measures
 *
 * <ul>
 *   <li>a changed hour: one new user written into a past hour, with its mark, until the API's hour
 *       row of its channel shows it (the calculator's recompute of that hour, its minute rows and
 *       its day, plus at most one changes interval, set to 100 ms here);
 *   <li>the API's one-day hourly query and one-hour minute query, each window asked once (no kept
 *       answer: every answer is read from Elasticsearch);
 *   <li>the cumulative query (every channel's users up to now): the product's day rows of past days
 *       summed and today's first sightings counted.
 * </ul>
 *
 * <p>Two products grow side by side: one with 10 channels, one with 10,000. Options: {@code sizes}
 * (default 100000,1000000,10000000), {@code channels} (default 10,10000), {@code
 * many-channels-up-to} (largest size for the product with the most channels, default 1000000: its
 * minute rows are about one per user), {@code days} (30), {@code probes} (changed hours per step,
 * 10), {@code day-queries} (30), {@code hour-queries} (60), {@code out}, and {@code set.KEY=VALUE}.
 */
public final class GrowthBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;

  private GrowthBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    long[] sizes = longs(options.getOrDefault("sizes", "100000,1000000,10000000"));
    long[] channelCounts = longs(options.getOrDefault("channels", "10,10000"));
    long manyUpTo = Long.parseLong(options.getOrDefault("many-channels-up-to", "1000000"));
    int days = Integer.parseInt(options.getOrDefault("days", "30"));
    int probes = Integer.parseInt(options.getOrDefault("probes", "10"));
    int dayQueries = Integer.parseInt(options.getOrDefault("day-queries", "30"));
    int hourQueries = Integer.parseInt(options.getOrDefault("hour-queries", "60"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/growth.txt"));

    Path dir = Files.createTempDirectory("growth-bench-");
    // Whole UTC days (the report days), ending at least two hours ago, so the calculator's
    // trailing window never touches them.
    long end = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.DAYS).toEpochMilli();
    long start = end - days * DAY;
    List<String> report = new ArrayList<>();
    report.add("# Growth: the calculator and the report API as first sightings pile up");
    report.add("date: " + Instant.now());
    try (EmbeddedElasticsearch es = EmbeddedElasticsearch.start()) {
      ChannelConfig config =
          BenchSupport.withOverrides(
              ChannelConfig.load(null, dir, Map.of(), new Properties())
                  .with(Setting.ELASTICSEARCH_URL, es.url().toString())
                  .with(Setting.STATE_DIR, dir.resolve("state").toString())
                  .with(Setting.CALCULATOR_PORT, Integer.toString(FreePorts.next()))
                  .with(Setting.CALCULATOR_CHANGES_INTERVAL, "PT0.1S")
                  // Only this harness reaches the API on this machine.
                  .with(Setting.API_ANONYMOUS_ROLE, "viewer"),
              options);
      report.add(
          String.format(
              "setup: %d cores; Elasticsearch 512m heap, 1 shard, 0 replicas; the calculator in its"
                  + " own JVM (heap %s, changes every %s); one product per channel count, users"
                  + " spread evenly over the %d days before %s; writes through the store in bulks"
                  + " of %,d on 2 threads, one change mark per step; settings changed: %s",
              Runtime.getRuntime().availableProcessors(),
              config.get(Setting.LOCAL_CALCULATOR_HEAP),
              config.get(Setting.CALCULATOR_CHANGES_INTERVAL),
              days,
              Instant.ofEpochMilli(end),
              FirstSeenStore.MAX_BULK_ITEMS,
              BenchSupport.overrides(options)));
      report.add("jvm: " + System.getProperty("java.version"));
      report.add("");
      report.add(
          "product      channels      users B/user | docs/s rebuilt | changed hour p50    max | day-hourly"
              + " p50   p95  rows | hour-minute p50   p95  rows | cumulative p50   p95");
      LocalJob calculator =
          LocalJobs.calculator(config, Distributions.ofThisBuild(), dir.resolve("calculator"));
      calculator.prepare();
      ManagedProcess process = calculator.start(false);
      try (ElasticsearchConnection conn =
          ElasticsearchConnection.open(es.url(), RetryPolicy.upTo(Duration.ofMinutes(1)))) {
        Poll.until("the calculator up", Duration.ofMinutes(2), calculator::healthy);
        FirstSeenStore store =
            new FirstSeenStore(conn, config.get(Setting.SHARDER_INDEX_PREFIX), 1, 0);
        URI api = URI.create("http://localhost:" + config.get(Setting.CALCULATOR_PORT));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Product> products = new ArrayList<>();
        for (long c : channelCounts) {
          products.add(new Product("growth-" + c, (int) c, start, days));
        }
        for (long size : sizes) {
          for (Product p : products) {
            if (p.channels > 10 && size > manyUpTo) {
              continue;
            }
            double rate = p.growTo(store, size);
            double rebuilt = p.awaitReports(http, api, Duration.ofMinutes(60));
            long bytesPerUser = bytesPerDocument(conn, store.indexOf(p.id));
            String line =
                p.measure(store, http, api, rate, rebuilt, probes, dayQueries, hourQueries)
                    .replaceFirst("\\|", String.format("%6d |", bytesPerUser));
            System.out.println(line);
            report.add(line);
            BenchSupport.write(out, report);
          }
        }
      } finally {
        process.stop(Duration.ofSeconds(20));
      }
    }
    report.add("");
    report.add(
        "B/user: bytes on disk per first-seen document (primaries, not force-merged); docs/s: documents"
            + " per second written through the store (the sharder's own cost is in"
            + " sharder-throughput.txt); rebuilt: seconds from one mark of every minute written in"
            + " the step to the day answers being exact (every touched hour and day recomputed"
            + " once); changed hour: from the mark to the API's hour row"
            + " showing the new user, in ms; queries: ms per answer, each window asked once; rows:"
            + " the largest answer; 400 where an answer would pass calculator.max-rows");
    BenchSupport.write(out, report);
    System.out.println("written to " + out);
  }

  /** One product's history: what was written so far and the model's users per day. */
  private static final class Product {
    final String id;
    final int channels;
    final long start;
    final int days;
    final long[] usersPerDay;
    final Random random;
    long users;

    Product(String id, int channels, long start, int days) {
      this.id = id;
      this.channels = channels;
      this.start = start;
      this.days = days;
      this.usersPerDay = new long[days];
      this.random = new Random(id.hashCode());
    }

    String channel(int i) {
      return String.format("ch-%05d", i);
    }

    /** Writes new users until there are {@code size}; returns documents per second. */
    double growTo(FirstSeenStore store, long size) throws Exception {
      store.ensureProductIndex(id);
      long from = users;
      long began = System.nanoTime();
      ExecutorService pool = Executors.newFixedThreadPool(2);
      TreeSet<Long> minutes = new TreeSet<>();
      try {
        List<Future<?>> running = new ArrayList<>();
        while (users < size) {
          int n = (int) Math.min(FirstSeenStore.MAX_BULK_ITEMS, size - users);
          List<FirstSeenStore.Write> writes = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            long t0 = start + (long) (random.nextDouble() * days * DAY);
            usersPerDay[(int) ((t0 - start) / DAY)]++;
            FirstSeenRecord r =
                new FirstSeenRecord(
                    id,
                    "dev-" + id + "-" + (users + i),
                    t0,
                    channel(random.nextInt(channels)),
                    "ak-" + id);
            writes.add(new FirstSeenStore.Write(r, false));
            minutes.add(r.minute());
          }
          users += n;
          running.add(
              pool.submit(
                  () -> {
                    store.write(writes, System.currentTimeMillis());
                    return null;
                  }));
          if (running.size() >= 4) {
            running.remove(0).get();
          }
        }
        for (Future<?> f : running) {
          f.get();
        }
        // One mark for the whole step, as a backfill would: the calculator recomputes each
        // touched hour once (marks per bulk would have it recompute the whole history per pass).
        store.markChanged(Map.of(id, minutes), System.currentTimeMillis(), "growth-" + size);
      } finally {
        pool.shutdown();
      }
      double seconds = (System.nanoTime() - began) / 1e9;
      System.out.printf("%s: %,d users written (%.0f s)%n", id, users - from, seconds);
      return (users - from) / seconds;
    }

    /** Waits until the API's day answers equal the users written per day. */
    double awaitReports(HttpClient http, URI api, Duration timeout) throws Exception {
      long began = System.nanoTime();
      Poll.until(
          id + "'s day answers equal to the users written",
          timeout,
          () -> {
            for (int d = 0; d < days; d++) {
              if (dayTotal(http, api, start + d * DAY) != usersPerDay[d]) {
                return false;
              }
            }
            return true;
          });
      double seconds = (System.nanoTime() - began) / 1e9;
      System.out.printf(
          "%s: reports of %,d users exact %.0f s after the mark%n", id, users, seconds);
      return seconds;
    }

    long dayTotal(HttpClient http, URI api, long day) throws Exception {
      return total(get(http, api, query("day", day, day + DAY, null)).answer);
    }

    String query(String granularity, long from, long to, String channel) {
      return "/api/v1/new-users?product="
          + id
          + "&granularity="
          + granularity
          + "&from="
          + Instant.ofEpochMilli(from)
          + "&to="
          + Instant.ofEpochMilli(to)
          + (channel == null
              ? ""
              : "&channel=" + URLEncoder.encode(channel, StandardCharsets.UTF_8));
    }

    String measure(
        FirstSeenStore store,
        HttpClient http,
        URI api,
        double rate,
        double rebuilt,
        int probes,
        int dayQueries,
        int hourQueries)
        throws Exception {
      List<Long> changed = new ArrayList<>();
      for (int i = 0; i < probes; i++) {
        long hour = start + random.nextInt(days * 24) * HOUR;
        String channel = channel(random.nextInt(channels));
        String q = query("hour", hour, hour + HOUR, channel);
        long before = total(get(http, api, q).answer);
        FirstSeenRecord r =
            new FirstSeenRecord(
                id,
                "probe-" + id + "-" + users + "-" + i,
                hour + random.nextInt((int) HOUR),
                channel,
                "ak-" + id);
        store.write(List.of(new FirstSeenStore.Write(r, false)), System.currentTimeMillis());
        usersPerDay[(int) ((r.t0() - start) / DAY)]++;
        store.markChanged(
            Map.of(id, List.of(r.minute())), System.currentTimeMillis(), "probe-" + users + i);
        long marked = System.nanoTime();
        // Asked every 10 ms rather than with Poll's growing pauses, which would round the figure.
        long deadline = marked + Duration.ofMinutes(2).toNanos();
        while (total(get(http, api, q).answer) != before + 1) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the probe in " + Instant.ofEpochMilli(hour) + " never showed");
          }
          Thread.sleep(10);
        }
        changed.add((System.nanoTime() - marked) / 1_000_000);
      }
      users += probes;
      Collections.sort(changed);

      List<Integer> dayOrder = shuffled(days);
      Timings daily = new Timings();
      for (int i = 0; i < Math.min(dayQueries, days); i++) {
        long day = start + dayOrder.get(i) * DAY;
        daily.add(get(http, api, query("hour", day, day + DAY, null)));
      }
      List<Integer> hourOrder = shuffled(days * 24);
      Timings hourly = new Timings();
      for (int i = 0; i < Math.min(hourQueries, days * 24); i++) {
        long hour = start + hourOrder.get(i) * HOUR;
        hourly.add(get(http, api, query("minute", hour, hour + HOUR, null)));
      }
      Timings cumulative = new Timings();
      for (int i = 0; i < 10; i++) {
        // A different instant each time: the answer is never one kept from before.
        cumulative.add(
            get(
                http,
                api,
                "/api/v1/new-users/cumulative?product="
                    + id
                    + "&at="
                    + Instant.ofEpochMilli(start + days * DAY - i * 60_000L)));
      }
      return String.format(
          "%-12s %8d %10d | %,6.0f %6.0f | %8d %6d | %14s | %15s | %14s",
          id,
          channels,
          users,
          rate,
          rebuilt,
          BenchSupport.percentile(changed, 50),
          changed.get(changed.size() - 1),
          daily.summary(true),
          hourly.summary(true),
          cumulative.summary(false));
    }

    List<Integer> shuffled(int n) {
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        out.add(i);
      }
      Collections.shuffle(out, random);
      return out;
    }
  }

  /** Bytes on disk per document of {@code index} (primaries, after the refresh the wait did). */
  private static long bytesPerDocument(ElasticsearchConnection conn, String index) {
    return conn.call(
        "index stats of " + index,
        c -> {
          long bytes = 0;
          long docs = 0;
          for (var stats : c.indices().stats(s -> s.index(index)).indices().values()) {
            bytes += stats.primaries().store().sizeInBytes();
            docs += stats.primaries().docs().count();
          }
          return docs == 0 ? 0 : bytes / docs;
        });
  }

  private static long total(JsonNode answer) {
    long total = 0;
    for (JsonNode row : answer.get("rows")) {
      total += row.get("new_users").asLong();
    }
    return total;
  }

  /** One answer: its status, its body (null unless 200) and how long it took. */
  private record Answer(int status, JsonNode answer, long millis) {}

  private static Answer get(HttpClient http, URI api, String pathAndQuery) throws Exception {
    long began = System.nanoTime();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(api.resolve(pathAndQuery)).build(),
            HttpResponse.BodyHandlers.ofString());
    long millis = (System.nanoTime() - began) / 1_000_000;
    if (r.statusCode() != 200 && r.statusCode() != 400) {
      throw new IllegalStateException(
          pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
    }
    return new Answer(
        r.statusCode(), r.statusCode() == 200 ? JSON.readTree(r.body()) : null, millis);
  }

  /** Answer times and the largest answer. */
  private static final class Timings {
    final List<Long> millis = new ArrayList<>();
    int rows;
    int refused;

    void add(Answer a) {
      millis.add(a.millis());
      if (a.status() == 400) {
        refused++;
      } else if (a.answer().has("rows")) {
        rows = Math.max(rows, a.answer().get("rows").size());
      }
    }

    String summary(boolean withRows) {
      Collections.sort(millis);
      String times =
          String.format(
              "%5d %5d", BenchSupport.percentile(millis, 50), BenchSupport.percentile(millis, 95));
      if (!withRows) {
        return times;
      }
      return times
          + (refused > 0 ? String.format(" %5s", refused + "x400") : String.format(" %5d", rows));
    }
  }

  private static long[] longs(String csv) {
    return Arrays.stream(csv.split(",")).mapToLong(s -> Long.parseLong(s.trim())).toArray();
  }
}
