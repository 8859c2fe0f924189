package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * When the report jobs make the service unhealthy: a job without success past its interval plus the
 * grace, measured from the service's start until its first success. (Successes and failures
 * reported by Quartz are the ITCase's: NewUserReportsITCase.)
 */
class JobHealthTest {
  private static final Instant START = Instant.parse("2026-12-03T10:00:00Z");

  @Test
  void aJobPastItsIntervalPlusTheGraceFailsHealthNamingIt() {
    MovableClock clock = new MovableClock(START);
    JobHealth health =
        new JobHealth(
            Map.of(
                "changed-buckets", Duration.ofSeconds(1), "trailing-window", Duration.ofMinutes(1)),
            Duration.ofSeconds(30),
            clock);
    clock.now = START.plusSeconds(31);
    assertThat(health.healthy()).isTrue();
    clock.now = START.plusSeconds(32);
    assertThat(health.healthy()).isFalse();
    var report = health.report();
    assertThat(report.path("status").asText()).isEqualTo("failing");
    assertThat(report.path("jobs").path("changed-buckets").path("status").asText())
        .isEqualTo("failing");
    assertThat(report.path("jobs").path("trailing-window").path("status").asText()).isEqualTo("up");
  }

  /** A clock a test moves. */
  private static final class MovableClock extends Clock {
    Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
