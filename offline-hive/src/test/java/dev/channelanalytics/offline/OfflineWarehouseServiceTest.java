package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OfflineWarehouseServiceTest {
  private static final Map<String, String> DAY =
      Map.of("from", "2026-11-22T00:00:00Z", "to", "2026-11-23T00:00:00Z");

  @Test
  void runsArePostedWithASaneRange() {
    assertThat(OfflineWarehouseService.refusal("POST", "run", DAY)).isNull();
    assertThat(OfflineWarehouseService.refusal("GET", "run", DAY)).startsWith("method GET");
    assertThat(
            OfflineWarehouseService.refusal(
                "POST",
                "run",
                Map.of("from", "2026-11-23T00:00:00Z", "to", "2026-11-22T00:00:00Z")))
        .contains("after");
    assertThat(
            OfflineWarehouseService.refusal(
                "POST",
                "run",
                Map.of("from", "1970-01-01T00:00:00Z", "to", "2100-01-01T00:00:00Z")))
        .contains("at most");
    assertThat(OfflineWarehouseService.refusal("POST", "run", Map.of("from", "yesterday")))
        .contains("ISO instants");
    assertThat(OfflineWarehouseService.refusal("GET", "due", Map.of())).isNull();
  }
}
