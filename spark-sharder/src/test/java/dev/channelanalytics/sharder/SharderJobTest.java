package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How long the sharder waits before starting a failed query again. */
class SharderJobTest {
  @Test
  void aFailedQueryIsStartedAgainAfterABackOffDoublingFromOneSecondToAMinute() {
    assertThat(SharderJob.restartDelay(0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(SharderJob.restartDelay(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(SharderJob.restartDelay(5)).isEqualTo(Duration.ofSeconds(32));
    assertThat(SharderJob.restartDelay(6)).isEqualTo(Duration.ofMinutes(1));
    assertThat(SharderJob.restartDelay(Integer.MAX_VALUE)).isEqualTo(Duration.ofMinutes(1));
  }
}
