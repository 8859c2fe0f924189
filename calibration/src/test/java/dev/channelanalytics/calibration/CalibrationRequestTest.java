package dev.channelanalytics.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code POST /runs} (and the command's own JVM) accepts as a calibration request. */
class CalibrationRequestTest {
  @Test
  void aRangeWithProductAndDryRun() {
    CalibrationRun.Request r =
        CalibrationService.request(
            Map.of(
                "from", "2026-12-01T00:00:00Z",
                "to", "2026-12-02T00:00:00Z",
                "product", "game",
                "dryRun", "true"),
            "command");
    assertThat(r.from()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z").toEpochMilli());
    assertThat(r.to()).isEqualTo(Instant.parse("2026-12-02T00:00:00Z").toEpochMilli());
    assertThat(r.product()).isEqualTo("game");
    assertThat(r.dryRun()).isTrue();
    assertThat(r.origin()).isEqualTo("command");
  }

  @Test
  void everyProductAndARealRunByDefault() {
    CalibrationRun.Request r =
        CalibrationService.request(
            Map.of("from", "2026-12-01T00:00:00Z", "to", "2026-12-01T01:00:00Z", "product", " "),
            "command");
    assertThat(r.product()).isNull();
    assertThat(r.dryRun()).isFalse();
  }

  @Test
  void badRangesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> CalibrationService.request(Map.of("to", "2026-12-01T00:00:00Z"), "c"))
        .hasMessage("from is required");
    assertThatThrownBy(
            () ->
                CalibrationService.request(
                    Map.of("from", "yesterday", "to", "2026-12-01T00:00:00Z"), "c"))
        .hasMessageContaining("from must be an ISO instant");
    assertThatThrownBy(
            () ->
                CalibrationService.request(
                    Map.of("from", "2026-12-01T00:00:00Z", "to", "2026-12-01T00:00:00Z"), "c"))
        .hasMessage("to must be after from");
  }
}
