package dev.channelanalytics.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.ConsumerLag;
import dev.channelanalytics.local.LocalStack;
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
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Measures freshness: the time from an envelope entering {@code raw-logs} to its user being visible
 * in the report API, while the whole real-time pipeline (the local stack, without its demo) takes a
 * steady background load.
 *
 * <p>Probes are envelopes of brand-new devices of a product of their own, each with a channel of
 * its own, sent every {@code probe-ms}; the harness polls the API's minute answer for that product
 * and records, per probe, when its channel first shows. Then it measures the API's latency for a
 * one-day hourly query of a product of the background load.
 *
 * <p>Arguments as {@code name=value}: {@code rate} (background envelopes/s, default 10000), {@code
 * seconds} (measured, default 60), {@code warmup} (seconds, default 20), {@code probe-ms} (250),
 * {@code out} (default {@code bench/results/freshness.txt}), and any {@code set.KEY=VALUE} (a
 * setting of the stack, say {@code set.calculator.changes-interval=PT0.25S}).
 */
public final class FreshnessBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private FreshnessBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int rate = Integer.parseInt(options.getOrDefault("rate", "10000"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "60"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "20"));
    int probeMs = Integer.parseInt(options.getOrDefault("probe-ms", "250"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/freshness.txt"));

    Path dir = Files.createTempDirectory("freshness-bench-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestKeyring keys = TestKeyring.write(dir);
    Keyring keyring = keys.keyring();
    ChannelConfig config =
        BenchSupport.withOverrides(BenchSupport.localStackConfig(dir, keys), options);
    int apiPort = config.intValue(Setting.CALCULATOR_PORT);

    List<byte[]> background = background(keyring, Math.min(rate * 30, 300_000));
    LocalStack stack = new LocalStack(config, false);
    try {
      stack.up(new PrintStream(System.out));
      URI api = URI.create("http://localhost:" + apiPort);
      List<String> report =
          run(stack, config, keyring, api, background, rate, seconds, warmup, probeMs);
      report.add(0, "# Freshness: envelope into raw-logs until its user shows in the report API");
      report.add(1, "date: " + Instant.now());
      report.add(
          2,
          String.format(
                  "setup: %d cores, the whole local stack (Kafka, Elasticsearch, parser, sharder,"
                      + " calculator) on this machine, background %,d envelopes/s, measured for %d s"
                      + " after at least %d s of warm-up, a probe every %d ms",
                  Runtime.getRuntime().availableProcessors(), rate, seconds, warmup, probeMs)
              + (BenchSupport.overrides(options).isEmpty()
                  ? ""
                  : "; settings " + BenchSupport.overrides(options)));
      report.forEach(System.out::println);
      BenchSupport.write(out, report);
      System.out.println("written to " + out);
    } finally {
      stack.down(new PrintStream(System.out));
    }
  }

  /** Distinct simulated envelopes with the mappings first, cycled by the load. */
  private static List<byte[]> background(Keyring keyring, int distinct) {
    SimulationSpec spec =
        SimulationSpec.defaults(
            7, distinct, Instant.now().toEpochMilli(), Duration.ofMinutes(5), List.of("k1"));
    List<byte[]> values = new ArrayList<>();
    List<byte[]> mappings = new ArrayList<>();
    new TrafficSimulator(spec, keyring)
        .forEachRemaining(
            r ->
                (r.destination() == SimulatedRecord.Destination.RAW_LOGS ? values : mappings)
                    .add(r.value()));
    MAPPINGS.addAll(mappings);
    return values;
  }

  private static final List<byte[]> MAPPINGS = new ArrayList<>();
  private static long warmedUpAfter;

  private static List<String> run(
      LocalStack stack,
      ChannelConfig config,
      Keyring keyring,
      URI api,
      List<byte[]> background,
      int rate,
      int seconds,
      int warmup,
      int probeMs)
      throws Exception {
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    String raw = config.topics().rawLogs();
    EnvelopeEncoder encoder = new EnvelopeEncoder(keyring, new Random(3));
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    Map<String, Long> seenAt = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong sentBackground = new AtomicLong();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] m : MAPPINGS) {
        ProductMapping mapping = ProductMapping.fromKafka(null, m);
        producer.send(
            new ProducerRecord<>(config.topics().productConfig(), mapping.appKey().getBytes(), m));
      }
      ProductMapping probeMapping = new ProductMapping("ak_probe", "probe");
      producer.send(
          new ProducerRecord<>(
              config.topics().productConfig(), "ak_probe".getBytes(), probeMapping.toJson()));
      producer.flush();

      Thread load =
          new Thread(
              () -> {
                long start = System.nanoTime();
                int i = 0;
                while (running.get()) {
                  long due = start + (long) (sentBackground.get() * 1e9 / rate);
                  long wait = due - System.nanoTime();
                  if (wait > 1_000_000) {
                    sleep(wait / 1_000_000);
                    continue;
                  }
                  producer.send(new ProducerRecord<>(raw, background.get(i)));
                  i = (i + 1) % background.size();
                  sentBackground.incrementAndGet();
                }
              },
              "background-load");
      load.start();
      StageWatch stages = new StageWatch(config, sentAt, running);
      stages.start();

      // Warm up for at least `warmup` seconds and until every stage keeps up (its lag is under a
      // second of load): start-up catch-up is not steady state.
      long warmupEnd = System.currentTimeMillis() + warmup * 1000L;
      long giveUp = System.currentTimeMillis() + 300_000L;
      while (System.currentTimeMillis() < giveUp) {
        boolean keepingUp =
            ConsumerLag.of(config).values().stream().allMatch(lag -> lag >= 0 && lag < rate);
        if (keepingUp && System.currentTimeMillis() >= warmupEnd) {
          break;
        }
        sleep(1000);
      }
      warmedUpAfter = (System.currentTimeMillis() - warmupEnd) / 1000 + warmup;
      long measureFrom = System.currentTimeMillis();
      long end = measureFrom + seconds * 1000L;
      int n = 0;
      long nextProbe = System.currentTimeMillis();
      Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(5, ChronoUnit.MINUTES);
      while (System.currentTimeMillis() < end + 15_000) {
        long now = System.currentTimeMillis();
        if (now >= nextProbe && now < end) {
          String channel = "probe_" + n++;
          PlaintextBatch batch =
              new PlaintextBatch(
                  "ak_probe",
                  "probe-device-" + channel,
                  channel,
                  "1.0",
                  "android",
                  List.of(new ClientEvent("launch", now)));
          producer.send(
              new ProducerRecord<>(raw, encoder.encode("k1", "bench", now, batch, false)));
          if (now >= measureFrom) {
            sentAt.put(channel, now);
          }
          nextProbe = now + probeMs;
        }
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(
                        api.resolve(
                            "/api/v1/new-users?product=probe&granularity=minute&from="
                                + from
                                + "&to="
                                + Instant.now().plus(2, ChronoUnit.MINUTES)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        long seen = System.currentTimeMillis();
        if (r.statusCode() == 200) {
          for (JsonNode row : JSON.readTree(r.body()).get("rows")) {
            seenAt.putIfAbsent(row.get("channel").asText(), seen);
          }
        }
        if (seen > end && sentAt.keySet().stream().allMatch(seenAt::containsKey)) {
          break;
        }
        sleep(50);
      }
      running.set(false);
      load.join();
      stages.join();
      stageReport = stages.report(seenAt);
    }

    List<Long> latencies = new ArrayList<>();
    int missing = 0;
    for (Map.Entry<String, Long> e : sentAt.entrySet()) {
      Long seen = seenAt.get(e.getKey());
      if (seen == null) {
        missing++;
      } else {
        latencies.add(seen - e.getValue());
      }
    }
    Collections.sort(latencies);
    List<String> report = new ArrayList<>();
    report.add(
        String.format(
            "warm-up until every stage kept up: %d s; background sent: %,d envelopes",
            warmedUpAfter, sentBackground.get()));
    report.add(
        String.format(
            "freshness over %d probes: p50 %d ms, p95 %d ms, p99 %d ms, max %d ms; not visible"
                + " within 15 s after the end: %d",
            latencies.size(),
            BenchSupport.percentile(latencies, 50),
            BenchSupport.percentile(latencies, 95),
            BenchSupport.percentile(latencies, 99),
            latencies.isEmpty() ? -1 : latencies.get(latencies.size() - 1),
            missing));
    report.addAll(stageReport);
    report.add(apiLatency(api));
    return report;
  }

  private static List<String> stageReport = List.of();

  /**
   * Where each probe's time goes: when it is committed to {@code parsed-events} (a read_committed
   * consumer: the parser's checkpoint and commit) and when its first-seen document exists (a
   * real-time GET by id, which needs no refresh: the sharder's trigger and batch); the rest, to the
   * API, is the calculator's period, refresh and recompute.
   */
  private static final class StageWatch {
    private static final java.util.regex.Pattern PROBE =
        java.util.regex.Pattern.compile("probe-device-(probe_\\d+)");

    private final ChannelConfig config;
    private final Map<String, Long> sentAt;
    private final AtomicBoolean running;
    private final Map<String, Long> parsedAt = new ConcurrentHashMap<>();
    private final Map<String, Long> storedAt = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();

    StageWatch(ChannelConfig config, Map<String, Long> sentAt, AtomicBoolean running) {
      this.config = config;
      this.sentAt = sentAt;
      this.running = running;
    }

    void start() {
      threads.add(new Thread(this::watchParsed, "stage-watch-parsed"));
      threads.add(new Thread(this::watchStored, "stage-watch-stored"));
      threads.forEach(Thread::start);
    }

    void join() throws InterruptedException {
      for (Thread t : threads) {
        t.join();
      }
    }

    private void watchParsed() {
      Properties c = new Properties();
      c.setProperty("bootstrap.servers", config.kafkaBootstrapServers());
      c.setProperty("isolation.level", "read_committed");
      // Seen as soon as the parser commits, not when a parked fetch times out (500 ms by default).
      c.setProperty("fetch.max.wait.ms", "20");
      c.setProperty("auto.offset.reset", "latest");
      c.setProperty("enable.auto.commit", "false");
      c.setProperty("group.id", "freshness-stage-watch-" + System.nanoTime());
      try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer =
          new org.apache.kafka.clients.consumer.KafkaConsumer<>(
              c,
              new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
              new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
        consumer.subscribe(List.of(config.topics().parsedEvents()));
        while (running.get()) {
          var records = consumer.poll(Duration.ofMillis(20));
          long now = System.currentTimeMillis();
          for (var r : records) {
            java.util.regex.Matcher m =
                PROBE.matcher(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
            while (m.find()) {
              parsedAt.putIfAbsent(m.group(1), now);
            }
          }
        }
      }
    }

    private void watchStored() {
      String index =
          dev.channelanalytics.store.FirstSeenIndex.indexOf(
              config.get(Setting.SHARDER_INDEX_PREFIX), "probe");
      URI es = URI.create(config.get(Setting.ELASTICSEARCH_URL));
      while (running.get()) {
        for (String channel : List.copyOf(parsedAt.keySet())) {
          if (storedAt.containsKey(channel)) {
            continue;
          }
          String id =
              dev.channelanalytics.store.FirstSeenIndex.documentId("probe-device-" + channel);
          try {
            HttpResponse<String> r =
                HTTP.send(
                    HttpRequest.newBuilder(
                            es.resolve(
                                "/"
                                    + index
                                    + "/_doc/"
                                    + java.net.URLEncoder.encode(
                                        id, java.nio.charset.StandardCharsets.UTF_8)
                                    + "?_source=false"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200 && r.body().contains("\"found\":true")) {
              storedAt.putIfAbsent(channel, System.currentTimeMillis());
            }
          } catch (Exception e) {
            // not yet: the index may not exist
          }
        }
        sleep(20);
      }
    }

    /** Median and p95 of each stage's share over the probes measured at every stage. */
    List<String> report(Map<String, Long> seenAt) {
      List<Long> parser = new ArrayList<>();
      List<Long> sharder = new ArrayList<>();
      List<Long> calculator = new ArrayList<>();
      for (Map.Entry<String, Long> e : sentAt.entrySet()) {
        Long parsed = parsedAt.get(e.getKey());
        Long stored = storedAt.get(e.getKey());
        Long seen = seenAt.get(e.getKey());
        if (parsed != null && stored != null && seen != null) {
          parser.add(parsed - e.getValue());
          sharder.add(stored - parsed);
          calculator.add(seen - stored);
        }
      }
      List<String> out = new ArrayList<>();
      out.add(
          String.format(
              "where the time goes, over %d probes seen at every stage (p50 / p95 ms): parser to"
                  + " committed parsed-events %s; sharder to first-seen document %s; calculator"
                  + " and API to the answer %s",
              parser.size(), share(parser), share(sharder), share(calculator)));
      return out;
    }

    private static String share(List<Long> values) {
      List<Long> sorted = new ArrayList<>(values);
      Collections.sort(sorted);
      return BenchSupport.percentile(sorted, 50) + " / " + BenchSupport.percentile(sorted, 95);
    }
  }

  /** p95 of a one-day hourly query of the busiest product, sequentially, after a warm-up. */
  private static String apiLatency(URI api) throws Exception {
    Instant dayStart = Instant.now().truncatedTo(ChronoUnit.DAYS);
    URI query =
        api.resolve(
            "/api/v1/new-users?product=browser&granularity=hour&from="
                + dayStart
                + "&to="
                + dayStart.plus(1, ChronoUnit.DAYS));
    List<Long> times = new ArrayList<>();
    int rows = 0;
    for (int i = 0; i < 220; i++) {
      long start = System.nanoTime();
      HttpResponse<String> r =
          HTTP.send(HttpRequest.newBuilder(query).build(), HttpResponse.BodyHandlers.ofString());
      long micros = (System.nanoTime() - start) / 1_000;
      if (i >= 20) {
        times.add(micros);
      }
      rows = JSON.readTree(r.body()).get("rows").size();
    }
    Collections.sort(times);
    return String.format(
        "API one-day hourly query (%d rows): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms over %d requests",
        rows,
        BenchSupport.percentile(times, 50) / 1000.0,
        BenchSupport.percentile(times, 95) / 1000.0,
        BenchSupport.percentile(times, 99) / 1000.0,
        times.size());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
