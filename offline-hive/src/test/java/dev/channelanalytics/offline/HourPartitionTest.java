package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HourPartitionTest {
  @Test
  void anHourIsTheUtcPartitionOfItsStartInPredicateSpecAndVariables() {
    HourPartition hour = new HourPartition(Instant.parse("2026-11-23T09:59:59Z"));
    assertThat(hour.start()).isEqualTo(Instant.parse("2026-11-23T09:00:00Z"));
    assertThat(hour.predicate()).isEqualTo("dt = '2026-11-23' AND hour = '09'");
    assertThat(hour.spec()).isEqualTo("PARTITION (dt = '2026-11-23', hour = '09')");
    assertThat(hour.variables())
        .isEqualTo(Map.of("dt", "2026-11-23", "hour", "09", "hour_start", "1795424400000"));
  }
}
