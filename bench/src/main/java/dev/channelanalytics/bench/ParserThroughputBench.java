package dev.channelanalytics.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.kafka.TopicOffsets;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.FreePorts;
import dev.channelanalytics.testing.TestKeyring;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Measures the log parser Kafka to Kafka, as the local stack runs it (its own JVM, a MiniCluster,
 * exactly-once sinks), with the broker on the same machine.
 *
 * <p>A backlog of simulated envelopes is loaded into {@code raw-logs} first; the parser then drains
 * it, and the rate is read from the offsets it commits with each checkpoint, so the figure counts
 * only output that was committed. Between 10% and 90% of the backlog the rate is steady (start-up
 * and the tail are left out). Where the time goes: CPU seconds of the parser and the broker over
 * that window, and Flink's busy and back-pressure time per task.
 *
 * <p>Arguments as {@code name=value}: {@code distinct} (distinct envelopes, default 50000), {@code
 * repeat} (times the backlog repeats them, default 12), {@code partitions} (of raw-logs, default
 * 4), {@code parallelism} (default 2), {@code heap} (parser heap, default 1g), {@code checkpoint}
 * (interval, default PT1S), {@code out} (default {@code bench/results/parser-throughput.txt}).
 */
public final class ParserThroughputBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private record Sample(long nanos, long committed) {}

  private ParserThroughputBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int distinct = Integer.parseInt(options.getOrDefault("distinct", "50000"));
    int repeat = Integer.parseInt(options.getOrDefault("repeat", "12"));
    int partitions = Integer.parseInt(options.getOrDefault("partitions", "4"));
    int parallelism = Integer.parseInt(options.getOrDefault("parallelism", "2"));
    String heap = options.getOrDefault("heap", "1g");
    String checkpoint = options.getOrDefault("checkpoint", "PT1S");
    Path out = Paths.get(options.getOrDefault("out", "bench/results/parser-throughput.txt"));

    Path dir = Files.createTempDirectory("parser-bench-");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      ChannelConfig.Topics topics =
          new ChannelConfig.Topics("raw-logs", "product-config", "parsed-events", "dead-letters");
      kafka.createTopic(topics.rawLogs(), partitions);
      kafka.createTopic(topics.productConfig(), 1, Map.of("cleanup.policy", "compact"));
      kafka.createTopic(topics.parsedEvents(), partitions);
      kafka.createTopic(topics.deadLetters(), 1);

      TestKeyring keys = TestKeyring.write(dir, "k1", "k2");
      SimulationSpec spec =
          SimulationSpec.defaults(
              11, distinct, 1_795_428_000_000L, Duration.ofHours(6), List.of("k1", "k2"));
      long total = load(kafka.bootstrapServers(), topics, spec, keys.keyring(), repeat);

      int restPort = FreePorts.next();
      ChannelConfig config =
          ChannelConfig.load(null, dir, Map.of(), new Properties())
              .with(Setting.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
              .with(Setting.KEYRING_FILE, keys.file().toString())
              .with(Setting.STATE_DIR, dir.resolve("state").toString())
              .with(Setting.PARSER_REST_PORT, Integer.toString(restPort))
              .with(Setting.PARSER_METRICS_PORT, Integer.toString(FreePorts.next()))
              .with(Setting.LOCAL_PARSER_HEAP, heap)
              .with(Setting.PARSER_PARALLELISM, Integer.toString(parallelism))
              .with(Setting.PARSER_GROUP_ID, "bench-parser")
              .with(Setting.PARSER_CHECKPOINT_INTERVAL, checkpoint);
      config = BenchSupport.withOverrides(config, options);
      LocalJob parser =
          LocalJobs.parser(config, Distributions.ofThisBuild(), dir.resolve("parser"));
      parser.prepare();
      ManagedProcess process = parser.start(false);
      try {
        Poll.until("parser job RUNNING", Duration.ofMinutes(2), parser::healthy);
        List<String> report =
            measure(kafka.bootstrapServers(), topics, total, restPort, process.pid());
        report.add(0, "# Log parser throughput, Kafka to Kafka (exactly-once), one machine");
        report.add(1, "date: " + Instant.now());
        report.add(
            2,
            String.format(
                    "setup: %d cores, raw-logs %d partitions, parallelism %d, parser heap %s,"
                        + " checkpoint every %s, sinks' linger %s, backlog %,d envelopes (%,d"
                        + " distinct x %d)",
                    Runtime.getRuntime().availableProcessors(),
                    partitions,
                    parallelism,
                    heap,
                    config.get(Setting.PARSER_CHECKPOINT_INTERVAL),
                    config.get(Setting.PARSER_SINK_LINGER),
                    total,
                    distinct,
                    repeat)
                + (BenchSupport.overrides(options).isEmpty()
                    ? ""
                    : "; settings " + BenchSupport.overrides(options)));
        report.forEach(System.out::println);
        BenchSupport.write(out, report);
        System.out.println("written to " + out);
      } finally {
        process.stop(Duration.ofSeconds(20));
      }
    }
  }

  /** Loads mappings, then the envelopes {@code repeat} times; returns the raw-logs count. */
  private static long load(
      String bootstrap,
      ChannelConfig.Topics topics,
      SimulationSpec spec,
      Keyring keyring,
      int repeat)
      throws Exception {
    List<byte[]> envelopes = new ArrayList<>();
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, "524288");
    p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    long sent = 0;
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      TrafficSimulator simulator = new TrafficSimulator(spec, keyring);
      while (simulator.hasNext()) {
        SimulatedRecord r = simulator.next();
        if (r.destination() == SimulatedRecord.Destination.PRODUCT_CONFIG) {
          producer.send(new ProducerRecord<>(topics.productConfig(), r.key(), r.value()));
        } else {
          envelopes.add(r.value());
        }
      }
      for (int i = 0; i < repeat; i++) {
        for (byte[] e : envelopes) {
          producer.send(new ProducerRecord<>(topics.rawLogs(), e));
          sent++;
        }
        System.out.printf("loaded %,d envelopes into raw-logs%n", sent);
      }
      producer.flush();
    }
    System.out.printf("backlog of %,d loaded in %.1f s%n", sent, (System.nanoTime() - start) / 1e9);
    return sent;
  }

  private static List<String> measure(
      String bootstrap, ChannelConfig.Topics topics, long total, int restPort, long parserPid)
      throws Exception {
    long brokerPid =
        ProcessHandle.allProcesses()
            .mapToLong(ProcessHandle::pid)
            .filter(pid -> cmdline(pid).contains("kafka.Kafka"))
            .findFirst()
            .orElse(-1);
    List<Sample> samples = new ArrayList<>();
    List<String> report = new ArrayList<>();
    Duration parserCpuAt10 = null;
    Duration brokerCpuAt10 = null;
    long nanosAt10 = 0;
    boolean metricsTaken = false;
    long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
    try (TopicOffsets offsets = new TopicOffsets(bootstrap, Duration.ofSeconds(30))) {
      while (true) {
        long committed = committed(offsets, topics.rawLogs());
        long now = System.nanoTime();
        samples.add(new Sample(now, committed));
        if (parserCpuAt10 == null && committed >= total / 10) {
          parserCpuAt10 = cpu(parserPid);
          brokerCpuAt10 = cpu(brokerPid);
          nanosAt10 = now;
        }
        if (!metricsTaken && committed >= total / 2) {
          report.addAll(flinkMetrics(restPort));
          metricsTaken = true;
        }
        if (committed >= total * 9 / 10 && parserCpuAt10 != null) {
          double seconds = (now - nanosAt10) / 1e9;
          double parserCpu = (cpu(parserPid).minus(parserCpuAt10)).toMillis() / 1000.0;
          double brokerCpu = (cpu(brokerPid).minus(brokerCpuAt10)).toMillis() / 1000.0;
          report.add(
              0,
              String.format(
                  "cpu over the steady window (%.1f s): parser %.2f cores, broker %.2f cores",
                  seconds, parserCpu / seconds, brokerCpu / seconds));
          break;
        }
        if (now > deadline) {
          throw new IllegalStateException("the parser did not drain the backlog in 15 minutes");
        }
        Thread.sleep(250);
      }
    }
    Sample first = samples.stream().filter(s -> s.committed >= total / 10).findFirst().get();
    Sample last = samples.get(samples.size() - 1);
    Sample started = samples.stream().filter(s -> s.committed > 0).findFirst().get();
    double steady = (last.committed - first.committed) / ((last.nanos - first.nanos) / 1e9);
    double overall = (last.committed - started.committed) / ((last.nanos - started.nanos) / 1e9);
    report.add(
        0,
        String.format(
            "sustained: %,.0f envelopes/s (10%%..90%% of the backlog); %,.0f from first commit",
            steady, overall));
    return report;
  }

  private static long committed(TopicOffsets offsets, String topic) {
    return offsets.committed("bench-parser").entrySet().stream()
        .filter(e -> e.getKey().topic().equals(topic))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** CPU time of a process from /proc (user plus system), at the usual 100 ticks a second. */
  private static Duration cpu(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return Duration.ofMillis(ticks * 10);
    } catch (Exception e) {
      return Duration.ZERO;
    }
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    } catch (Exception e) {
      return "";
    }
  }

  /** Busy and back-pressured time per task, and the sampled decode time, from Flink's REST API. */
  private static List<String> flinkMetrics(int port) throws Exception {
    List<String> lines = new ArrayList<>();
    String base = "http://localhost:" + port;
    JsonNode jobs = get(base + "/jobs/overview").get("jobs");
    String jid = jobs.get(0).get("jid").asText();
    for (JsonNode vertex : get(base + "/jobs/" + jid).get("vertices")) {
      String vid = vertex.get("id").asText();
      JsonNode m =
          get(
              base
                  + "/jobs/"
                  + jid
                  + "/vertices/"
                  + vid
                  + "/subtasks/metrics?get=busyTimeMsPerSecond,backPressuredTimeMsPerSecond");
      double busy = 0;
      double backPressured = 0;
      for (JsonNode metric : m) {
        if (metric.get("id").asText().equals("busyTimeMsPerSecond")) {
          busy = metric.get("avg").asDouble();
        } else {
          backPressured = metric.get("avg").asDouble();
        }
      }
      lines.add(
          String.format(
              "task %-75s busy %4.0f ms/s, back-pressured %4.0f ms/s",
              vertex.get("name").asText(), busy, backPressured));
      for (JsonNode metric : get(base + "/jobs/" + jid + "/vertices/" + vid + "/metrics")) {
        String id = metric.get("id").asText();
        if (id.endsWith("decodeNanos_mean") || id.endsWith("decodeNanos_p99")) {
          JsonNode value =
              get(base + "/jobs/" + jid + "/vertices/" + vid + "/metrics?get=" + id).get(0);
          lines.add(String.format("  %s: %.0f ns", id, value.get("value").asDouble()));
        }
      }
    }
    return lines;
  }

  private static JsonNode get(String url) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }
}
