package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.records.FirstSeenIndex;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.FirstSeen;
import dev.channelanalytics.common.simulation.NewUserOracle.User;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One run of parser and sharder against the test's Kafka and Elasticsearch: fresh topics, keyring,
 * index prefix and state, simulator traffic with its expected outcome, the parser in its own JVM as
 * the local stack runs it, and the sharder in this JVM or in its own.
 */
final class ShardingTestRun implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final EmbeddedKafka kafka;
  final URI elasticsearch;
  final ChannelConfig config;
  final Keyring keyring;
  final NewUserOracle oracle;
  final String indexPrefix;
  private final Path dir;
  private final List<ManagedProcess> processes = new ArrayList<>();
  private ManagedProcess sharderProcess;

  ShardingTestRun(EmbeddedKafka kafka, URI elasticsearch, Path dir) throws Exception {
    this.kafka = kafka;
    this.elasticsearch = elasticsearch;
    this.dir = dir;
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    indexPrefix = "fs-" + suffix + "-";
    ChannelConfig.Topics topics =
        new ChannelConfig.Topics(
            "raw-" + suffix, "config-" + suffix, "parsed-" + suffix, "dead-" + suffix);
    kafka.createTopic(topics.rawLogs(), 2);
    kafka.createTopic(topics.productConfig(), 1, Map.of("cleanup.policy", "compact"));
    kafka.createTopic(topics.parsedEvents(), 2);
    kafka.createTopic(topics.deadLetters(), 1);
    SecureRandom random = new SecureRandom();
    byte[] k1 = new byte[32];
    random.nextBytes(k1);
    Path keyringFile = dir.resolve("keyring.json");
    Files.writeString(keyringFile, "{\"k1\":\"" + Base64.getEncoder().encodeToString(k1) + "\"}");
    keyring = Keyring.load(keyringFile);
    oracle = new NewUserOracle(keyring);
    config =
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
            .with(Setting.TOPIC_RAW_LOGS, topics.rawLogs())
            .with(Setting.TOPIC_PRODUCT_CONFIG, topics.productConfig())
            .with(Setting.TOPIC_PARSED_EVENTS, topics.parsedEvents())
            .with(Setting.TOPIC_DEAD_LETTERS, topics.deadLetters())
            .with(Setting.ELASTICSEARCH_URL, elasticsearch.toString())
            .with(Setting.KEYRING_FILE, keyringFile.toString())
            .with(Setting.LOCAL_STATE_DIR, dir.resolve("state").toString())
            .with(Setting.UNKNOWN_APP_KEY_HOLD, "PT5S")
            .with(Setting.PARSER_GROUP_ID, "parser-" + suffix)
            .with(Setting.PARSER_TRANSACTIONAL_ID_PREFIX, "parser-" + suffix)
            .with(Setting.LOCAL_PARSER_REST_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_PARSER_HEAP, "512m")
            .with(Setting.SHARDER_GROUP_ID, "sharder-" + suffix)
            .with(Setting.SHARDER_INDEX_PREFIX, indexPrefix)
            .with(Setting.LOCAL_SHARDER_UI_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_SHARDER_HEAP, "768m");
  }

  SharderSettings sharderSettings() {
    return SharderSettings.from(config);
  }

  /** The simulator's traffic: mappings in arrival order first, then the envelopes. */
  List<SimulatedRecord> traffic(long seed, int envelopes) {
    SimulationSpec spec =
        SimulationSpec.defaults(
            seed, envelopes, 1_795_428_000_000L, Duration.ofHours(30), List.of("k1"));
    List<SimulatedRecord> mappings = new ArrayList<>();
    List<SimulatedRecord> raw = new ArrayList<>();
    new TrafficSimulator(spec, keyring)
        .forEachRemaining(
            r -> (r.destination() == SimulatedRecord.Destination.RAW_LOGS ? raw : mappings).add(r));
    mappings.addAll(raw);
    return mappings;
  }

  /** Mappings first, then envelopes, optionally in shuffled order; the oracle sees the same. */
  void publish(List<SimulatedRecord> traffic, Random shuffle) throws Exception {
    List<SimulatedRecord> mappings = new ArrayList<>();
    List<SimulatedRecord> raw = new ArrayList<>();
    traffic.forEach(
        r -> (r.destination() == SimulatedRecord.Destination.RAW_LOGS ? raw : mappings).add(r));
    if (shuffle != null) {
      Collections.shuffle(raw, shuffle);
    }
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (SimulatedRecord m : mappings) {
        oracle.mapping(ProductMapping.fromKafka(m.key(), m.value()));
        producer.send(new ProducerRecord<>(config.topics().productConfig(), m.key(), m.value()));
      }
      for (SimulatedRecord r : raw) {
        oracle.envelope(r.value());
        producer.send(new ProducerRecord<>(config.topics().rawLogs(), r.key(), r.value()));
      }
      producer.flush();
    }
  }

  void startParser() throws Exception {
    start(LocalStack.parser(config, Distributions.ofThisBuild(), dir.resolve("parser")));
  }

  void startSharderProcess() throws Exception {
    sharderProcess =
        start(LocalStack.sharder(config, Distributions.ofThisBuild(), dir.resolve("sharder")));
  }

  /** kill -9 of the sharder JVM, as a crash would leave it. */
  void killSharderProcess() throws Exception {
    ProcessHandle handle = ProcessHandle.of(sharderProcess.pid()).orElseThrow();
    handle.destroyForcibly();
    handle.onExit().get(30, TimeUnit.SECONDS);
  }

  private ManagedProcess start(LocalJob job) throws Exception {
    job.prepare();
    ManagedProcess process = job.start(false);
    processes.add(process);
    Poll.until(job.name() + " healthy", Duration.ofMinutes(2), job::healthy);
    return process;
  }

  /** Every first-seen document under the run's alias, as the oracle's map. */
  Map<User, FirstSeen> storedFirstSeen() throws Exception {
    String alias = FirstSeenIndex.alias(indexPrefix);
    Map<User, FirstSeen> out = new TreeMap<>();
    if (http("GET", "/" + alias + "/_count", null).statusCode() == 404) {
      return out;
    }
    http("POST", "/" + alias + "/_refresh", null);
    JsonNode after = null;
    while (true) {
      String body =
          "{\"size\":5000,\"sort\":[{\"product_id\":\"asc\"},{\"device_id\":\"asc\"}]"
              + (after == null ? "" : ",\"search_after\":" + after)
              + "}";
      JsonNode hits =
          JSON.readTree(http("POST", "/" + alias + "/_search", body).body())
              .path("hits")
              .path("hits");
      if (hits.isEmpty()) {
        return out;
      }
      for (JsonNode hit : hits) {
        JsonNode s = hit.get("_source");
        out.put(
            new User(s.get("product_id").asText(), s.get("device_id").asText()),
            new FirstSeen(
                s.get("t0").asLong(), s.get("channel").asText(), s.get("app_key").asText()));
        after = hit.get("sort");
      }
    }
  }

  /** The (product, minute) buckets marked as changed. */
  Map<String, TreeSet<Long>> changedBuckets() throws Exception {
    String index = FirstSeenIndex.changesIndex(indexPrefix);
    http("POST", "/" + index + "/_refresh", null);
    Map<String, TreeSet<Long>> out = new HashMap<>();
    JsonNode hits =
        JSON.readTree(http("POST", "/" + index + "/_search", "{\"size\":10000}").body())
            .path("hits")
            .path("hits");
    for (JsonNode hit : hits) {
      JsonNode s = hit.get("_source");
      for (JsonNode minute : s.get("minutes")) {
        out.computeIfAbsent(s.get("product_id").asText(), k -> new TreeSet<>())
            .add(minute.asLong());
      }
    }
    return out;
  }

  /** Waits until the stored documents are exactly the oracle's first sightings. */
  void awaitStoredEqualsOracle(Duration timeout) throws Exception {
    Map<User, FirstSeen> expected = new TreeMap<>(oracle.firstSeen());
    assertThat(expected).isNotEmpty();
    try {
      Poll.until(
          "first-seen documents equal to the oracle's",
          timeout,
          () -> storedFirstSeen().equals(expected));
    } catch (IllegalStateException e) {
      assertThat(storedFirstSeen()).isEqualTo(expected);
    }
  }

  /** Waits until parser and sharder have consumed everything published so far. */
  void awaitDrained(Duration timeout) {
    LocalStack stack = new LocalStack(config, false);
    Poll.until(
        "parser and sharder to consume everything",
        timeout,
        () -> stack.consumerLag().values().stream().allMatch(lag -> lag == 0));
  }

  private HttpResponse<String> http(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(elasticsearch.resolve(path))
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    for (ManagedProcess p : processes) {
      p.stop(Duration.ofSeconds(20));
    }
  }
}
