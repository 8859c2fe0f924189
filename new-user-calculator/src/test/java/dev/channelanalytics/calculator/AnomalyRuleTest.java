package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.calculator.AnomalyRule.Kind;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The detection rule of the channel anomaly alerts, and the windows it judges. */
class AnomalyRuleTest {
  private static final AnomalyRule RULE = new AnomalyRule(5, 20);
  private static final long[] STEADY = {100, 96, 104, 99, 101, 98, 103};

  private static Kind kind(long users, long... baseline) {
    AnomalyRule.Verdict v = RULE.judge(users, baseline);
    return v == null ? null : v.kind();
  }

  @Test
  void steadyTrafficWithinItsUsualSpreadAlertsNothing() {
    for (long users : new long[] {100, 60, 140, 97}) {
      assertThat(kind(users, STEADY)).as("%d users", users).isNull();
    }
  }

  @Test
  void aSpikeFarAboveTheBaselineAlerts() {
    AnomalyRule.Verdict v = RULE.judge(400, STEADY);
    assertThat(v.kind()).isEqualTo(Kind.SPIKE);
    assertThat(v.median()).isEqualTo(100);
    assertThat(v.high()).isEqualTo(150); // the median plus 5 times its square root (10)
  }

  @Test
  void aDropFarBelowTheBaselineAlerts() {
    assertThat(kind(20, STEADY)).isEqualTo(Kind.DROP);
  }

  @Test
  void aChannelWithoutUsersInTheBaselineIsNewOnceAboveTheMinimumVolume() {
    assertThat(kind(25, 0, 0, 0, 0, 0, 0, 0)).isEqualTo(Kind.NEW);
    assertThat(kind(19, 0, 0, 0, 0, 0, 0, 0)).isNull();
  }

  @Test
  void aChannelThatHadUsersYesterdayAndHasNoneNowWentSilent() {
    assertThat(kind(0, STEADY)).isEqualTo(Kind.SILENT);
    // Silent yesterday already: the same silence, not news again.
    assertThat(kind(0, 100, 96, 104, 99, 101, 98, 0)).isNull();
  }

  @Test
  void changesOfTinyChannelsBelowTheMinimumVolumeAlertNothing() {
    assertThat(kind(15, 2, 1, 3, 2, 2, 1, 2)).isNull(); // a spike of a tiny channel
    assertThat(kind(0, 5, 6, 4, 5, 5, 6, 5)).isNull(); // a tiny channel gone quiet
  }

  @Test
  void aYoungChannelIsJudgedByTheDaysItHadNotByTheDaysBefore() {
    // Three days old with about 100 an hour: a fourth such day is no spike.
    assertThat(kind(100, 0, 0, 0, 0, 98, 102, 100)).isNull();
    assertThat(kind(400, 0, 0, 0, 0, 98, 102, 100)).isEqualTo(Kind.SPIKE);
  }

  @Test
  void aNoisyBaselineWidensTheBand() {
    long[] noisy = {80, 130, 95, 120, 70, 125, 100};
    // Median 100, median deviation 20: the band reaches 100 + 5 * 1.4826 * 20, not 100 + 5 * 10.
    assertThat(kind(220, noisy)).isNull();
    assertThat(kind(400, noisy)).isEqualTo(Kind.SPIKE);
  }

  @Test
  void theWindowsAreTheLastCompleteHourAndTenMinutesOfTheReportZone() {
    long at = Instant.parse("2026-03-10T11:27:30Z").toEpochMilli();
    List<ChannelAlerts.Window> utc = ChannelAlerts.windows(at, ZoneId.of("UTC"));
    assertThat(utc.get(0).from()).isEqualTo(Instant.parse("2026-03-10T10:00:00Z").toEpochMilli());
    assertThat(utc.get(0).to()).isEqualTo(Instant.parse("2026-03-10T11:00:00Z").toEpochMilli());
    assertThat(utc.get(1).from()).isEqualTo(Instant.parse("2026-03-10T11:10:00Z").toEpochMilli());
    assertThat(utc.get(1).to()).isEqualTo(Instant.parse("2026-03-10T11:20:00Z").toEpochMilli());
    // Nepal is 5:45 ahead: its hours start at :15 UTC, and its ten minutes with them.
    List<ChannelAlerts.Window> nepal = ChannelAlerts.windows(at, ZoneId.of("Asia/Kathmandu"));
    assertThat(nepal.get(0).from()).isEqualTo(Instant.parse("2026-03-10T10:15:00Z").toEpochMilli());
    assertThat(nepal.get(1).from()).isEqualTo(Instant.parse("2026-03-10T11:15:00Z").toEpochMilli());
    assertThat(nepal.get(1).daysBefore(7, ZoneId.of("Asia/Kathmandu")).from())
        .isEqualTo(Instant.parse("2026-03-03T11:15:00Z").toEpochMilli());
  }
}
