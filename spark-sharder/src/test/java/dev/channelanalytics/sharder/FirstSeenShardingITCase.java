package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulator traffic through the real parser and the sharder into a real Elasticsearch: the stored
 * first sightings are exactly the reference model's, after a replay, in shuffled order, and after
 * the sharder is killed with kill -9 mid-stream.
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

  @Test
  void storedFirstSightingsEqualTheOracleAlsoAfterAReplayOfTheSameLogs() throws Exception {
    try (ShardingTestRun run = new ShardingTestRun(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      List<SimulatedRecord> traffic = run.traffic(21, 4_000);
      run.publish(traffic, null);
      run.startParser();
      StreamingQuery query = new SharderJob(run.sharderSettings()).start(spark);
      try {
        run.awaitStoredEqualsOracle(TIMEOUT);
        assertEveryUsersMinuteIsMarkedChanged(run);

        run.publish(traffic, null);
        run.awaitDrained(TIMEOUT);
        run.awaitStoredEqualsOracle(Duration.ofSeconds(30));
      } finally {
        query.stop();
      }
    }
  }

  @Test
  void shuffledDeliveryConvergesToTheSameFirstSightings() throws Exception {
    try (ShardingTestRun run = new ShardingTestRun(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      run.publish(run.traffic(22, 4_000), new Random(5));
      run.startParser();
      StreamingQuery query = new SharderJob(run.sharderSettings()).start(spark);
      try {
        run.awaitStoredEqualsOracle(TIMEOUT);
        assertEveryUsersMinuteIsMarkedChanged(run);
      } finally {
        query.stop();
      }
    }
  }

  @Test
  void sharderKilledWithSigkillMidStreamRestartsAndConverges() throws Exception {
    try (ShardingTestRun run = new ShardingTestRun(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      run.startParser();
      run.startSharderProcess();
      run.publish(run.traffic(23, 6_000), null);
      dev.channelanalytics.local.Poll.until(
          "the first documents", TIMEOUT, () -> !run.storedFirstSeen().isEmpty());

      run.killSharderProcess();
      run.publish(run.traffic(24, 4_000), null);
      run.startSharderProcess();

      run.awaitStoredEqualsOracle(TIMEOUT);
    }
  }

  /** Every user's minute must have been marked, so the calculator recomputes it. */
  private static void assertEveryUsersMinuteIsMarkedChanged(ShardingTestRun run) throws Exception {
    Map<String, TreeSet<Long>> expected = new TreeMap<>();
    run.oracle
        .firstSeen()
        .forEach(
            (user, seen) ->
                expected
                    .computeIfAbsent(user.product(), p -> new TreeSet<>())
                    .add(
                        new FirstSeenRecord(user.product(), user.deviceId(), seen.t0(), "", "")
                            .minute()));
    Map<String, TreeSet<Long>> marked = run.changedBuckets();
    expected.forEach(
        (product, minutes) ->
            assertThat(marked.getOrDefault(product, new TreeSet<>()))
                .as("changed minutes of %s", product)
                .containsAll(minutes));
  }
}
