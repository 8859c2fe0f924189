package dev.channelanalytics.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.ConsumerLag;
import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.TestKeyring;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The report API under concurrent operators: the whole local stack runs with its demo load while
 * {@code clients} closed-loop clients (each sends its next request when the last is answered) ask
 * for a one-day hourly view of the demo's busiest product, as a dashboard does on every push.
 * Reports requests per second and the latency percentiles for each client count.
 *
 * <p>Before measuring, a backlog of simulated traffic spread over the day so far ({@code backlog}
 * envelopes, default 50,000) is published and consumed, so the view has a day's hours and channels,
 * not only the demo's first minutes.
 *
 * <p>Arguments as {@code name=value}: {@code clients} (comma-separated counts, default {@code
 * 1,16}), {@code seconds} per count (30), {@code warmup} seconds (10), {@code backlog} (50000),
 * {@code product} ({@code browser}), {@code out} ({@code bench/results/api.txt}).
 */
public final class ApiLoadBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ApiLoadBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    List<Integer> clientCounts = new ArrayList<>();
    for (String c : options.getOrDefault("clients", "1,16").split(",")) {
      clientCounts.add(Integer.parseInt(c.trim()));
    }
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "10"));
    String product = options.getOrDefault("product", "browser");
    int backlog = Integer.parseInt(options.getOrDefault("backlog", "50000"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/api.txt"));

    Path dir = Files.createTempDirectory("api-bench-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestKeyring keys = TestKeyring.write(dir);
    ChannelConfig config = BenchSupport.localStackConfig(dir, keys);
    URI api = URI.create("http://localhost:" + config.get(Setting.CALCULATOR_PORT));
    LocalStack stack = new LocalStack(config, true);
    try {
      stack.up(new PrintStream(System.out));
      Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS);
      URI query =
          api.resolve(
              "/api/v1/new-users?product="
                  + product
                  + "&granularity=hour&from="
                  + day
                  + "&to="
                  + day.plus(1, ChronoUnit.DAYS));
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      publishBacklog(config, keys, backlog, day);
      Poll.until(
          "the backlog to be consumed by both stages",
          Duration.ofMinutes(5),
          // Under a few seconds of the demo load: it keeps arriving while the stages keep up.
          () -> ConsumerLag.of(config).values().stream().allMatch(lag -> lag >= 0 && lag < 500));
      int[] rows = {0};
      String[] last = {""};
      // Settled: two answers a few seconds apart are the same, with rows.
      Poll.until(
          "the reports of " + product + " to settle",
          Duration.ofMinutes(5),
          () -> {
            HttpResponse<String> r =
                http.send(
                    HttpRequest.newBuilder(query).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
              return false;
            }
            rows[0] = JSON.readTree(r.body()).get("rows").size();
            boolean same = rows[0] > 0 && r.body().equals(last[0]);
            last[0] = r.body();
            Thread.sleep(3000);
            return same;
          });
      List<String> report = new ArrayList<>();
      report.add("# Report API under concurrent clients, whole local stack with its demo load");
      report.add("date: " + Instant.now());
      report.add(
          String.format(
              "setup: %d cores, the whole local stack (demo load %s envelopes/s) and the clients on"
                  + " this machine; a backlog of %,d envelopes over the day so far; closed-loop"
                  + " clients, one-day hourly query of %s (%d rows); %d s per client count after"
                  + " %d s of warm-up at the largest",
              Runtime.getRuntime().availableProcessors(),
              config.get(Setting.LOCAL_DEMO_RATE),
              backlog,
              product,
              rows[0],
              seconds,
              warmup));
      report.add("jvm: " + System.getProperty("java.version"));
      load(http, query, Collections.max(clientCounts), warmup);
      for (int clients : clientCounts) {
        report.add(load(http, query, clients, seconds).line(clients));
        System.out.println(report.get(report.size() - 1));
      }
      report.forEach(System.out::println);
      BenchSupport.write(out, report);
      System.out.println("written to " + out);
    } finally {
      stack.down(new PrintStream(System.out));
    }
  }

  /** Simulated traffic with event times over [day start, now), its mappings first. */
  private static void publishBacklog(
      ChannelConfig config, TestKeyring keys, int envelopes, Instant day) {
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    SimulationSpec spec =
        SimulationSpec.defaults(
            11,
            envelopes,
            day.toEpochMilli(),
            Duration.between(day, Instant.now().minusSeconds(60)),
            List.of("k1"));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      new TrafficSimulator(spec, keys.keyring())
          .forEachRemaining(
              r ->
                  producer.send(
                      new ProducerRecord<>(
                          r.isMapping()
                              ? config.topics().productConfig()
                              : config.topics().rawLogs(),
                          r.key(),
                          r.value())));
    }
  }

  /** What a run of one client count measured. */
  private record Result(long requests, long errors, double seconds, List<Long> micros) {
    String line(int clients) {
      return String.format(
          "%2d clients: %,.1f requests/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms"
              + " (%,d requests, %d not 200)",
          clients,
          requests / seconds,
          percentile(50) / 1000.0,
          percentile(95) / 1000.0,
          percentile(99) / 1000.0,
          micros.isEmpty() ? 0 : micros.get(micros.size() - 1) / 1000.0,
          requests,
          errors);
    }

    long percentile(int p) {
      return BenchSupport.percentile(micros, p);
    }
  }

  private static Result load(HttpClient http, URI query, int clients, int seconds)
      throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    AtomicLong errors = new AtomicLong();
    List<List<Long>> perClient = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      List<Long> mine = new ArrayList<>();
      perClient.add(mine);
      Thread t =
          new Thread(
              () -> {
                HttpRequest request = HttpRequest.newBuilder(query).build();
                while (System.nanoTime() < end) {
                  long t0 = System.nanoTime();
                  try {
                    HttpResponse<byte[]> r =
                        http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) {
                      errors.incrementAndGet();
                    }
                  } catch (Exception e) {
                    errors.incrementAndGet();
                  }
                  mine.add((System.nanoTime() - t0) / 1_000);
                }
              },
              "api-client-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    List<Long> all = new ArrayList<>();
    perClient.forEach(all::addAll);
    Collections.sort(all);
    return new Result(all.size(), errors.get(), elapsed, all);
  }
}
