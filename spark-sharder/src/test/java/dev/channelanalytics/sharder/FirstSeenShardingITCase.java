package dev.channelanalytics.sharder;

import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
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
