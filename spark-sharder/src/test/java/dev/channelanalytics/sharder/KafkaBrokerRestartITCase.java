package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.PipelineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka broker is stopped for real while the sharder runs, and started again: the sharder
 * outlives it (a query that fails is started again from its checkpoint, a task that fails is tried
 * again, local[2,4]), its health probe, the one the local stack uses, follows the streaming query
 * rather than the Spark application, and every first sighting is stored exactly as the reference
 * model says. The broker is the test's own, not the shared one.
 */
class KafkaBrokerRestartITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  /** The scenario: how long the broker stays down (not a wait for a result). */
  private static final Duration OUTAGE = Duration.ofSeconds(30);

  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  @TempDir Path dir;

  private static List<SimulatedRecord> traffic(PipelineFixture run, long seed) {
    return run.traffic(seed, 2_000, PipelineFixture.recentStart(), Duration.ofHours(30));
  }

  private static Path checkpoint(SharderJob job, PipelineFixture run) {
    String location = SharderSettings.from(run.config).checkpointDir();
    return location.startsWith("file:")
        ? Path.of(java.net.URI.create(location))
        : Path.of(location);
  }

  @Test
  void aBrokerRestartOrAFailedQueryLosesNothingAndHealthFollowsTheStreamingQuery()
      throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.startOwn();
        PipelineFixture run = new PipelineFixture(kafka, ELASTICSEARCH.url(), dir);
        StoredFirstSeen stored = new StoredFirstSeen(ELASTICSEARCH.url(), run)) {
      SparkSession spark =
          SparkSession.builder()
              .master("local[2,4]")
              .appName("sharder broker restart test")
              .config("spark.ui.port", run.config.intValue(Setting.SHARDER_UI_PORT))
              .getOrCreate();
      LocalJob probe =
          LocalJobs.sharder(run.config, Distributions.ofThisBuild(), dir.resolve("probe"));
      SharderJob job = new SharderJob(SharderSettings.from(run.config));
      AtomicReference<Throwable> ended = new AtomicReference<>();
      Thread runner =
          new Thread(
              () -> {
                try {
                  job.run(spark);
                } catch (Throwable e) {
                  ended.set(e);
                }
              },
              "sharder under test");
      try {
        assertThat(probe.healthy()).as("no query yet").isFalse();
        run.publishParsed(traffic(run, 41), null);
        runner.start();
        Poll.until("the first documents", TIMEOUT, () -> !stored.all().isEmpty());
        Poll.until("the sharder's query to show as healthy", TIMEOUT, probe::healthy);

        kafka.stopBroker();
        Instant down = Instant.now();
        Poll.until(
            "the outage to last " + OUTAGE,
            OUTAGE.plusMinutes(1),
            () -> Duration.between(down, Instant.now()).compareTo(OUTAGE) >= 0);
        kafka.restart();
        run.publishParsed(traffic(run, 42), null);

        stored.awaitEqualToModel(run.oracle, TIMEOUT);
        Poll.until("the sharder healthy after the restart", TIMEOUT, probe::healthy);

        // A fault that fails the query itself: its commit log cannot be written (a file where
        // the folder must be). The query is started again, with back-off, until it can.
        Path commits = checkpoint(job, run).resolve("commits");
        Path aside = commits.resolveSibling("commits.aside");
        Files.move(commits, aside);
        Files.writeString(commits, "not a folder: the commit log cannot be written");
        run.publishParsed(traffic(run, 43), null);
        Poll.until(
            "the failed query to show as unhealthy and be started again",
            TIMEOUT,
            () -> job.restarts() >= 1 && !probe.healthy());
        Files.delete(commits);
        Files.move(aside, commits);
        stored.awaitEqualToModel(run.oracle, TIMEOUT);
        Poll.until("the sharder healthy after its query restarted", TIMEOUT, probe::healthy);
        assertThat(runner.isAlive()).as("the sharder runs on").isTrue();
        assertThat(ended.get()).isNull();
      } finally {
        job.stop();
        runner.join(Duration.ofMinutes(1).toMillis());
      }
      // The application (and its UI) is still up, but the query is not: unhealthy.
      assertThat(runner.isAlive()).isFalse();
      assertThat(probe.healthy()).as("health follows the query, not the application").isFalse();
      spark.stop();
    }
  }
}
