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
 * {@code out} (default {@code bench/results/freshness.txt}).
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
    ChannelConfig config = BenchSupport.localStackConfig(dir, keys);
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
              Runtime.getRuntime().availableProcessors(), rate, seconds, warmup, probeMs));
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
    report.add(apiLatency(api));
    return report;
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
