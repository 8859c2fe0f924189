package dev.channelanalytics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulator traffic through the real parser, sharder and reporting service, each in its own JVM as
 * the local stack runs them: the API's minute, hour and day answers are exactly the reference
 * model's, also after logs whose events are days old move users to earlier minutes, and every row
 * is provisional (nothing has been calibrated).
 */
class RealTimePipelineITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final Duration SPAN = Duration.ofHours(30);

  @TempDir Path dir;

  @Test
  void apiAnswersEqualTheModelAlsoAfterAReplayOfDaysOldLogs() throws Exception {
    long start = PipelineFixture.recentStart();
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      run.publish(run.traffic(41, 3_000, start, SPAN), null);
      run.startParser();
      run.startSharder();
      run.startCalculator();
      ReportApiAnswers api = new ReportApiAnswers(run.api());
      awaitApiEqualsModel(run, api, start, Duration.ofMinutes(3));

      // The same devices, three days earlier: every user moves to an earlier minute and day.
      long earlier = start - Duration.ofDays(3).toMillis();
      run.publish(run.traffic(41, 3_000, earlier, SPAN), null);
      awaitApiEqualsModel(run, api, earlier, Duration.ofMinutes(2));
    }
  }

  private static void awaitApiEqualsModel(
      PipelineFixture run, ReportApiAnswers api, long start, Duration timeout) throws Exception {
    Instant from = Instant.ofEpochMilli(start).minus(Duration.ofDays(5));
    Instant to = Instant.ofEpochMilli(start).plus(SPAN).plus(Duration.ofDays(2));
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      Map<Bucket, Long> expected = run.oracle.newUsers(unit, ZoneOffset.UTC);
      assertThat(expected).isNotEmpty();
      PipelineFixture.awaitEqual(
          "the API's " + unit + " equal to the model's",
          timeout,
          expected,
          () -> api.newUsers(expected, unit, from, to));
    }
    for (String product :
        ReportApiAnswers.products(run.oracle.newUsers(ChronoUnit.DAYS, ZoneOffset.UTC))) {
      assertThat(api.rows(product, ChronoUnit.HOURS, from, to))
          .isNotEmpty()
          .allSatisfy(r -> assertThat(r.status()).isEqualTo("provisional"));
    }
  }
}
