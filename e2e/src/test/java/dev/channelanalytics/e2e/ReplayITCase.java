package dev.channelanalytics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.kafka.ReplayHeaders;
import dev.channelanalytics.common.kafka.TopicOffsets;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.ParserMetrics;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.PipelineFixture.Command;
import dev.channelanalytics.testing.ReportApiAnswers;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disaster recovery through {@code channel replay dead-letters}, run as an operator runs it,
 * against the real parser, sharder and reporting service (each in its own JVM): uploads rejected
 * because the keyring lacked a live key, or because their mapping came after the hold, count once
 * the cause is gone and their dead letters are replayed; the API then equals the reference model,
 * and a second replay changes nothing. An hour of uploads the real-time path never read comes back
 * through {@code channel replay archive} from the offline warehouse.
 *
 * <p>The tests share one stack and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplayITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  @TempDir static Path dir;

  private static PipelineFixture run;
  private static Path configFile;
  private static ChannelConfig warehouse;
  private static ReportApiAnswers api;
  private static ManagedProcess parser;
  private static Instant day;

  @BeforeAll
  static void stack() throws Exception {
    // Two live keys; the parser starts with a keyring that has only k1.
    run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir.resolve("run"), "k1", "k2");
    warehouse = PipelineFixture.withWarehouse(run.config, "768m");
    configFile = dir.resolve("channel.properties");
    try (OutputStream out = Files.newOutputStream(configFile)) {
      warehouse.properties().store(out, "replay ITCase");
    }
    api = new ReportApiAnswers(run.api());
    run.startSharder();
    run.startCalculator();
    parser = run.startJob(LocalJobs.parser(withoutK2(), Distributions.ofThisBuild(), parserDir()));
    day = Instant.ofEpochMilli(PipelineFixture.recentStart()).truncatedTo(ChronoUnit.DAYS);
  }

  @AfterAll
  static void stop() {
    if (run != null) {
      run.close();
    }
  }

  @Test
  @Order(1)
  void uploadsOfAKeyMissingFromTheKeyringCountOnceTheKeyIsAddedAndTheirDeadLettersReplayed()
      throws Exception {
    List<SimulatedRecord> traffic =
        run.traffic(31, 1_500, PipelineFixture.recentStart(), Duration.ofHours(2));
    run.publish(traffic, null);
    // What a parser with the keyring it has rejects as unknown_key: the k2 uploads, and the
    // simulator's uploads under keys nobody has.
    NewUserOracle withoutK2 = new NewUserOracle(Keyring.load(partialKeyring()));
    traffic.stream().filter(SimulatedRecord::isMapping).forEach(r -> mapping(withoutK2, r));
    traffic.stream().filter(r -> !r.isMapping()).forEach(r -> withoutK2.envelope(r.value()));
    long missingKey = withoutK2.rejects().get(RejectReason.UNKNOWN_KEY);
    assertThat(missingKey)
        .isGreaterThan(run.oracle.rejects().getOrDefault(RejectReason.UNKNOWN_KEY, 0L));
    // The parser commits its source offsets and its output on the same checkpoint, in no set
    // order: the dead letters are awaited themselves.
    Poll.until(
        "the uploads under k2 dead-lettered as unknown_key",
        Duration.ofMinutes(2),
        () -> deadLetters(RejectReason.UNKNOWN_KEY, null) == missingKey);
    run.awaitDrained(Duration.ofMinutes(2));
    assertThat(apiAnswer(ChronoUnit.HOURS))
        .as("without k2 the API misses users")
        .isNotEqualTo(model(ChronoUnit.HOURS));

    // A dry run says what a replay would send, and sends nothing.
    long rawEnd = rawLogsEnd();
    Command dry = replay("--reason", "unknown_key", "--dry-run");
    assertThat(dry.exit()).as(dry.output()).isZero();
    assertThat(dry.output())
        .contains(missingKey + " matched (" + missingKey + " unknown_key)")
        .contains("would be republished (dry run)");
    assertThat(rawLogsEnd()).isEqualTo(rawEnd);

    // The key is added: the parser is restarted with the whole keyring, from its checkpoint.
    parser.stop(Duration.ofSeconds(30));
    parser = run.startJob(LocalJobs.parser(run.config, Distributions.ofThisBuild(), parserDir()));
    Command first = replay("--reason", "unknown_key");
    assertThat(first.exit()).as(first.output()).isZero();
    assertThat(first.output())
        .contains("reasons [unknown_key]")
        .contains(missingKey + " matched")
        .contains("republished");
    awaitApiEqualsModel(Duration.ofMinutes(2));

    // The parser counts the replayed records it read apart from live ones (channel status).
    awaitReplayedRead(republished(first));

    // Twice: every envelope is sent again and changes nothing.
    Map<Bucket, Long> minutes = apiAnswer(ChronoUnit.MINUTES);
    Command second = replay("--reason", "unknown_key");
    assertThat(second.exit()).as(second.output()).isZero();
    awaitReplayedRead(republished(first) + republished(second));
    // It matches the same dead letters again, and those its first run's envelopes under keys
    // nobody has left when rejected again.
    assertThat(second.output()).contains("summary: ").doesNotContain(" 0 republished");
    run.awaitDrained(Duration.ofMinutes(2));
    awaitApiEqualsModel(Duration.ofSeconds(30));
    assertThat(apiAnswer(ChronoUnit.MINUTES)).isEqualTo(minutes);
  }

  @Test
  @Order(2)
  void uploadsWhoseMappingCameAfterTheHoldCountOnceTheirDeadLettersAreReplayed() throws Exception {
    String appKey = "late-app-key";
    ProductMapping mapping = new ProductMapping(appKey, "late_product");
    EnvelopeEncoder encoder = new EnvelopeEncoder(run.keys.keyring(), new Random(7));
    long t = PipelineFixture.recentStart() + 30 * 60_000L;
    List<byte[]> uploads = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      PlaintextBatch batch =
          new PlaintextBatch(
              appKey,
              "late-device-" + i,
              i % 2 == 0 ? "late_store" : "late_ads",
              "1.0.0",
              "android",
              List.of(new ClientEvent("launch", t + i * 61_000L)));
      uploads.add(encoder.encode("k1", "collector-late", t + i * 61_000L + 5_000, batch, false));
    }
    // The uploads arrive with no mapping; the hold (5 s in the fixture) ends before it comes.
    Instant sent = Instant.now().minusSeconds(1);
    send(run.topics().rawLogs(), null, uploads);
    Poll.until(
        "the late app's uploads dead-lettered as unknown_app_key",
        Duration.ofMinutes(1),
        () -> deadLetters(RejectReason.UNKNOWN_APP_KEY, appKey) == uploads.size());
    send(
        run.topics().productConfig(),
        appKey.getBytes(StandardCharsets.UTF_8),
        List.of(mapping.toJson()));
    // What the contract counts once the uploads are parsed with their mapping.
    run.oracle.mapping(mapping);
    uploads.forEach(run.oracle::envelope);

    // Only what arrived since: the simulator's uploads of apps never mapped stay rejected.
    Command replay = replay("--reason", "unknown_app_key", "--from", sent.toString());
    assertThat(replay.exit()).as(replay.output()).isZero();
    assertThat(replay.output())
        .contains(
            uploads.size()
                + " matched ("
                + uploads.size()
                + " unknown_app_key), "
                + uploads.size()
                + " republished, 0 skipped");
    awaitApiEqualsModel(Duration.ofMinutes(2));
    assertThat(apiAnswer(ChronoUnit.HOURS).keySet())
        .anySatisfy(b -> assertThat(b.product()).isEqualTo("late_product"));
  }

  @Test
  @Order(3)
  void anHourTheRealTimePathLostIsBroughtBackByReplayingItsArchive() throws Exception {
    run.startJob(
        LocalJobs.warehouse(warehouse, Distributions.ofThisBuild(), dir.resolve("offline")));
    Instant firstHour = Instant.now().truncatedTo(ChronoUnit.HOURS);
    // The parser stops, its state is lost, and its consumer group is moved past what arrived in
    // between (an operator skipping a backlog): those uploads never reach the real-time path.
    parser.stop(Duration.ofSeconds(30));
    run.publish(
        run.traffic(47, 600, PipelineFixture.recentStart() + 3_600_000L, Duration.ofHours(1)),
        null);
    try (TopicOffsets offsets =
        new TopicOffsets(KAFKA.bootstrapServers(), Duration.ofSeconds(30))) {
      offsets.commit(run.config.get(Setting.PARSER_GROUP_ID), offsets.ends(run.topics().rawLogs()));
    }
    parser =
        run.startJob(
            LocalJobs.parser(
                run.config.with(
                    Setting.PARSER_CHECKPOINT_DIR, dir.resolve("parser-state-lost").toString()),
                Distributions.ofThisBuild(),
                dir.resolve("parser-again")));
    run.awaitDrained(Duration.ofMinutes(1));
    assertThat(apiAnswer(ChronoUnit.HOURS))
        .as("the lost uploads' users are missing")
        .isNotEqualTo(inRange(model(ChronoUnit.HOURS)));

    // The offline path archived them from Kafka; the archive hours are replayed.
    Instant end = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
    assertThat(PipelineFixture.offlineRun(warehouse, firstHour, end)).last().isEqualTo("done");
    Command replay = archiveReplay(firstHour, end);
    assertThat(replay.exit()).as(replay.output()).isZero();
    assertThat(replay.output()).contains("summary: ").doesNotContain(" 0 envelope(s) of");
    awaitApiEqualsModel(Duration.ofMinutes(2));

    // Twice: nothing changes.
    Map<Bucket, Long> minutes = apiAnswer(ChronoUnit.MINUTES);
    Command again = archiveReplay(firstHour, end);
    assertThat(again.exit()).as(again.output()).isZero();
    run.awaitDrained(Duration.ofMinutes(2));
    awaitApiEqualsModel(Duration.ofSeconds(30));
    assertThat(apiAnswer(ChronoUnit.MINUTES)).isEqualTo(minutes);
  }

  // ---------------------------------------------------------------------------------------------

  private static Path parserDir() {
    return dir.resolve("parser");
  }

  /** The run's configuration with a keyring file that lacks k2. */
  private static ChannelConfig withoutK2() throws Exception {
    ObjectNode keys =
        (ObjectNode) ElasticsearchConnection.JSON.readTree(Files.readString(run.keys.file()));
    keys.remove("k2");
    Files.writeString(partialKeyring(), keys.toString());
    return run.config.with(Setting.KEYRING_FILE, partialKeyring().toString());
  }

  private static Path partialKeyring() {
    return dir.resolve("keyring-without-k2.json");
  }

  private static void mapping(NewUserOracle oracle, SimulatedRecord r) {
    try {
      oracle.mapping(ProductMapping.fromKafka(r.key(), r.value()));
    } catch (IllegalArgumentException invalid) {
      // An invalid mapping changes nothing, for the parser as for the model.
    }
  }

  /** {@code channel replay dead-letters}, as an operator runs it. */
  private static Command replay(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("dead-letters"));
    args.addAll(List.of(options));
    return channelReplay(args);
  }

  /** {@code channel replay archive}, as an operator runs it. */
  private static Command archiveReplay(Instant from, Instant to) throws Exception {
    return channelReplay(List.of("archive", "--from", from.toString(), "--to", to.toString()));
  }

  private static Command channelReplay(List<String> args) throws Exception {
    List<String> replay = new ArrayList<>(List.of("replay"));
    replay.addAll(args);
    return PipelineFixture.channel(configFile, Duration.ofMinutes(2), replay);
  }

  private static void send(String topic, byte[] key, List<byte[]> values) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] v : values) {
        producer.send(new ProducerRecord<>(topic, key, v)).get();
      }
    }
  }

  /** How many records a replay's summary says it republished. */
  private static long republished(Command replay) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([\\d,]+) republished").matcher(replay.output());
    assertThat(m.find()).as(replay.output()).isTrue();
    return Long.parseLong(m.group(1).replace(",", ""));
  }

  /** Waits until the parser's replay counter (Flink REST, reported late) reaches {@code n}. */
  private static void awaitReplayedRead(long n) throws Exception {
    ParserMetrics metrics = new ParserMetrics(run.config.intValue(Setting.PARSER_REST_PORT));
    PipelineFixture.awaitEqual(
        "the parser's count of replayed records read",
        Duration.ofMinutes(1),
        n,
        () -> metrics.sum(ReplayHeaders.PARSER_METRIC).orElse(-1));
  }

  /** The end offsets of raw-logs, summed over its partitions. */
  private static long rawLogsEnd() {
    try (TopicOffsets offsets =
        new TopicOffsets(KAFKA.bootstrapServers(), Duration.ofSeconds(30))) {
      return offsets.ends(run.topics().rawLogs()).values().stream()
          .mapToLong(Long::longValue)
          .sum();
    }
  }

  /** The committed dead letters of {@code reason} (of {@code appKey} unless null). */
  private static long deadLetters(RejectReason reason, String appKey) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    long n = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(run.topics().deadLetters()).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          DeadLetter d = DeadLetter.fromJson(r.value());
          if (d.reason() == reason && (appKey == null || appKey.equals(d.appKey()))) {
            n++;
          }
        }
      }
    }
    return n;
  }

  private static Map<Bucket, Long> model(ChronoUnit unit) {
    return run.oracle.newUsers(unit, ZoneOffset.UTC);
  }

  private static Map<Bucket, Long> apiAnswer(ChronoUnit unit) throws Exception {
    Instant from = day.minus(7, ChronoUnit.DAYS);
    Instant to = day.plus(7, ChronoUnit.DAYS);
    return api.newUsers(model(ChronoUnit.DAYS), unit, from, to);
  }

  private static void awaitApiEqualsModel(Duration timeout) throws Exception {
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      PipelineFixture.awaitEqual(
          "the API's " + unit + " equal to the model's",
          timeout,
          inRange(model(unit)),
          () -> apiAnswer(unit));
    }
  }

  /** The model's buckets in the range the API is asked for. */
  private static Map<Bucket, Long> inRange(Map<Bucket, Long> answer) {
    Map<Bucket, Long> out = new java.util.TreeMap<>();
    answer.forEach(
        (b, n) -> {
          if (!b.start().isBefore(day.minus(7, ChronoUnit.DAYS))
              && b.start().isBefore(day.plus(7, ChronoUnit.DAYS))) {
            out.put(b, n);
          }
        });
    return out;
  }
}
