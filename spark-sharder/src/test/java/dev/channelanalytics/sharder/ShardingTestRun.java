package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.FirstSeen;
import dev.channelanalytics.common.simulation.NewUserOracle.User;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.ConsumerLag;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.FreePorts;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
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

  final EmbeddedKafka kafka;
  final URI elasticsearch;
  final ChannelConfig config;
  final Keyring keyring;
  final NewUserOracle oracle;
  final String indexPrefix;
  final FirstSeenStore store;
  private final Path dir;
  private final List<ManagedProcess> processes = new ArrayList<>();
  private ManagedProcess sharderProcess;

  ShardingTestRun(EmbeddedKafka kafka, URI elasticsearch, Path dir) throws Exception {
    this.kafka = kafka;
    this.elasticsearch = elasticsearch;
    this.dir = dir;
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    indexPrefix = "fs-" + suffix + "-";
    store =
        new FirstSeenStore(
            ElasticsearchConnection.open(elasticsearch, RetryPolicy.upTo(Duration.ofSeconds(30))),
            indexPrefix,
            1,
            0);
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
            .with(Setting.STATE_DIR, dir.resolve("state").toString())
            .with(Setting.UNKNOWN_APP_KEY_HOLD, "PT5S")
            .with(Setting.PARSER_GROUP_ID, "parser-" + suffix)
            .with(Setting.PARSER_TRANSACTIONAL_ID_PREFIX, "parser-" + suffix)
            .with(Setting.PARSER_REST_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_PARSER_HEAP, "512m")
            .with(Setting.SHARDER_GROUP_ID, "sharder-" + suffix)
            .with(Setting.SHARDER_INDEX_PREFIX, indexPrefix)
            .with(Setting.SHARDER_UI_PORT, Integer.toString(FreePorts.next()))
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
    start(LocalJobs.parser(config, Distributions.ofThisBuild(), dir.resolve("parser")));
  }

  void startSharderProcess() throws Exception {
    sharderProcess =
        start(LocalJobs.sharder(config, Distributions.ofThisBuild(), dir.resolve("sharder")));
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
  Map<User, FirstSeen> storedFirstSeen() {
    Map<User, FirstSeen> out = new TreeMap<>();
    store.forEachStored(
        null,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        r ->
            out.put(
                new User(r.productId(), r.deviceId()),
                new FirstSeen(r.t0(), r.channel(), r.appKey())));
    return out;
  }

  /** The (product, minute) buckets marked as changed. */
  Map<String, TreeSet<Long>> changedBuckets() {
    return store.changedSince(Long.MIN_VALUE);
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
    Poll.until(
        "parser and sharder to consume everything",
        timeout,
        () -> ConsumerLag.of(config).values().stream().allMatch(lag -> lag == 0));
  }

  @Override
  public void close() {
    for (ManagedProcess p : processes) {
      p.stop(Duration.ofSeconds(20));
    }
    store.connection().close();
  }
}
