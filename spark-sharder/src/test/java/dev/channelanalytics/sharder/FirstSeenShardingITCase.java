package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sharder alone, fed the parsed batches the parser would write for simulator traffic, into a
 * real Elasticsearch: the stored first sightings are exactly the reference model's, after a replay,
 * in shuffled order, and after the sharder's JVM is killed with kill -9 mid-stream. (The same
 * traffic through the real parser is the e2e module's.)
 */
class FirstSeenShardingITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("sharder test")
            .config("spark.ui.enabled", false)
            .config("spark.sql.shuffle.partitions", 2)
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /** Traffic of 30 hours from a day ago, so no retention deletes what a test publishes. */
  private static List<SimulatedRecord> traffic(PipelineFixture run, long seed, int envelopes) {
    return run.traffic(seed, envelopes, PipelineFixture.recentStart(), Duration.ofHours(30));
  }

  /** What a test does once the sharder has stored exactly the model's first sightings. */
  private interface AfterConverged {
    void run(PipelineFixture run, StoredFirstSeen stored) throws Exception;
  }

  /**
   * Publishes the parsed batches of {@code traffic} (shuffled with {@code shuffle}), runs the
   * sharder in this JVM until the store equals the model with every user's minute marked, then
   * {@code then}.
   */
  private void shardInThisJvm(long seed, Random shuffle, AfterConverged then) throws Exception {
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir);
        StoredFirstSeen stored = new StoredFirstSeen(ELASTICSEARCH.url(), run)) {
      List<SimulatedRecord> traffic = traffic(run, seed, 4_000);
      run.publishParsed(traffic, shuffle);
      StreamingQuery query = new SharderJob(SharderSettings.from(run.config)).start(spark);
      try {
        stored.awaitEqualToModel(run.oracle, TIMEOUT);
        stored.assertEveryUsersMinuteIsMarkedChanged(run.oracle);
        then.run(run, stored);
      } finally {
        query.stop();
      }
    }
  }

  @Test
  void storedFirstSightingsEqualTheModelAlsoAfterAReplayOfTheSameBatches() throws Exception {
    shardInThisJvm(
        21,
        null,
        (run, stored) -> {
          run.publishParsed(traffic(run, 21, 4_000), null);
          run.awaitDrained(TIMEOUT);
          stored.awaitEqualToModel(run.oracle, Duration.ofSeconds(30));
        });
  }

  @Test
  void recordsInParsedEventsThatTheParserDoesNotWriteAreSkippedAndStopNothing() throws Exception {
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir);
        StoredFirstSeen stored = new StoredFirstSeen(ELASTICSEARCH.url(), run)) {
      String origin =
          "\"origin\":{\"topic\":\"raw-logs\",\"partition\":0,\"offset\":1,\"timestamp\":1}";
      String events = "\"events\":[{\"i\":0,\"type\":\"launch\",\"t\":1795428000000}]";
      List<String> foreign =
          List.of(
              "not json at all",
              "{\"product_id\":\"p\"}",
              batchJson("p", "d".repeat(40_000), "c", origin, events),
              batchJson("p", "d1", "c".repeat(600), origin, events),
              batchJson("品".repeat(300), "d1", "c", origin, events),
              batchJson("p", "d\\uD800", "c", origin, events));
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(
              java.util.Map.<String, Object>of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  KAFKA.bootstrapServers(),
                  ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                  1_048_576),
              new ByteArraySerializer(),
              new ByteArraySerializer())) {
        for (String value : foreign) {
          producer
              .send(
                  new ProducerRecord<>(
                      run.topics().parsedEvents(), value.getBytes(StandardCharsets.UTF_8)))
              .get();
        }
      }
      run.publishParsed(traffic(run, 25, 3_000), null);
      StreamingQuery query = new SharderJob(SharderSettings.from(run.config)).start(spark);
      try {
        stored.awaitEqualToModel(run.oracle, TIMEOUT);
        assertThat(query.isActive()).as("the streaming query").isTrue();
        assertThat(query.exception().isEmpty()).isTrue();
      } finally {
        query.stop();
      }
    }
  }

  private static String batchJson(
      String product, String device, String channel, String origin, String events) {
    return "{\"product_id\":\""
        + product
        + "\",\"device_id\":\""
        + device
        + "\",\"channel\":\""
        + channel
        + "\",\"app_key\":\"ak\",\"recv_ts\":1795428000000,\"src\":\"s\",\"kid\":\"k1\","
        + origin
        + ","
        + events
        + "}";
  }

  @Test
  void shuffledDeliveryConvergesToTheSameFirstSightings() throws Exception {
    shardInThisJvm(22, new Random(5), (run, stored) -> {});
  }

  @Test
  void sharderKilledWithSigkillMidStreamRestartsAndConverges() throws Exception {
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir);
        StoredFirstSeen stored = new StoredFirstSeen(ELASTICSEARCH.url(), run)) {
      ManagedProcess sharder = run.startSharder();
      run.publishParsed(traffic(run, 23, 6_000), null);
      Poll.until("the first documents", TIMEOUT, () -> !stored.all().isEmpty());

      PipelineFixture.kill(sharder);
      run.publishParsed(traffic(run, 24, 4_000), null);
      run.startSharder();

      stored.awaitEqualToModel(run.oracle, TIMEOUT);
    }
  }
}
