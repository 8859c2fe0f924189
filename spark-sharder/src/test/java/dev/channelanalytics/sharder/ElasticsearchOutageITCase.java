package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.ElasticsearchNode;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.FreePorts;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Elasticsearch goes away for a minute while traffic keeps arriving: the sharder waits with
 * back-off instead of failing or skipping, and once Elasticsearch is back every first sighting is
 * stored exactly as the reference model says. The node is the test's own, not the shared one.
 */
class ElasticsearchOutageITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  /** The scenario: how long Elasticsearch stays down (not a wait for a result). */
  private static final Duration OUTAGE = Duration.ofMinutes(1);

  @TempDir Path dir;

  private static List<SimulatedRecord> traffic(PipelineFixture run, long seed) {
    return run.traffic(seed, 3_000, PipelineFixture.recentStart(), Duration.ofHours(30));
  }

  @Test
  void outageOfAMinuteUnderLoadLosesNothingAndTheSharderCatchesUp() throws Exception {
    Path esDir = Files.createTempDirectory("channel-es-outage-");
    Files.setPosixFilePermissions(esDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    ElasticsearchNode node =
        new ElasticsearchNode(
            new ElasticsearchNode.Settings(
                FreePorts.next(), FreePorts.next(), "512m", esDir, "nobody"),
            Distributions.ofThisBuild());
    node.prepare();
    ManagedProcess es = node.start(false);
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("sharder outage test")
            .config("spark.ui.enabled", false)
            .getOrCreate();
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), node.url(), dir);
        StoredFirstSeen stored = new StoredFirstSeen(node.url(), run)) {
      node.awaitHealthy(Duration.ofMinutes(3));
      run.publishParsed(traffic(run, 31), null);
      StreamingQuery query = new SharderJob(SharderSettings.from(run.config)).start(spark);
      try {
        Poll.until("the first documents", Duration.ofMinutes(3), () -> !stored.all().isEmpty());

        es.stop(Duration.ofSeconds(30));
        Instant down = Instant.now();
        run.publishParsed(traffic(run, 32), null);
        Poll.until(
            "the outage to last " + OUTAGE,
            OUTAGE.plusMinutes(1),
            () -> Duration.between(down, Instant.now()).compareTo(OUTAGE) >= 0);
        assertThat(query.isActive()).as("the query survives the outage").isTrue();

        es = node.start(false);
        node.awaitHealthy(Duration.ofMinutes(3));
        stored.awaitEqualToModel(run.oracle, Duration.ofMinutes(3));
        assertThat(query.exception().isEmpty()).isTrue();
      } finally {
        query.stop();
      }
    } finally {
      spark.stop();
      es.stop(Duration.ofSeconds(30));
    }
  }
}
