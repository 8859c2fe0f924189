package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Where a cumulative answer splits past days (day rows) from its own day (first sightings). */
class CumulativeDayTest {
  @Test
  void aDayStartsAtItsLocalMidnight() {
    ZoneId kolkata = ZoneId.of("Asia/Kolkata");
    assertThat(
            ReportCalculator.firstInstantOfDay(
                Instant.parse("2026-12-06T20:00:00Z").toEpochMilli(), kolkata))
        .isEqualTo(Instant.parse("2026-12-06T18:30:00Z").toEpochMilli());
    assertThat(
            ReportCalculator.firstInstantOfDay(
                Instant.parse("2026-12-06T00:00:00Z").toEpochMilli(), ZoneOffset.UTC))
        .isEqualTo(Instant.parse("2026-12-06T00:00:00Z").toEpochMilli());
  }

  @Test
  void whereMidnightHappensTwiceTheDayStartsAtTheFirst() {
    // The Azores set their clocks back from 01:00 to 00:00 on 2026-10-25: midnight happens twice.
    ZoneId azores = ZoneId.of("Atlantic/Azores");
    long first = Instant.parse("2026-10-25T00:00:00Z").toEpochMilli(); // 00:00 at UTC+0 (summer)
    long secondHalfPast = Instant.parse("2026-10-25T01:30:00Z").toEpochMilli(); // 00:30 at UTC-1
    assertThat(ReportCalculator.firstInstantOfDay(secondHalfPast, azores)).isEqualTo(first);
  }
}
