package dev.channelanalytics.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.channelanalytics.common.records.FirstSeenRecord;
import org.junit.jupiter.api.Test;

class FirstSeenIndexTest {
  @Test
  void productIndexNamesAreLowerCaseAndNeverShared() {
    assertThat(FirstSeenIndex.indexOf("first-seen-", "browser")).isEqualTo("first-seen-browser");
    assertThat(FirstSeenIndex.indexOf("first-seen-", "Browser")).isEqualTo("first-seen-+42rowser");
    assertThat(FirstSeenIndex.indexOf("first-seen-", "a b/é"))
        .isEqualTo("first-seen-a+20b+2f+c3+a9");
    assertThat(FirstSeenIndex.alias("first-seen-")).isEqualTo("first-seen");
    assertThat(FirstSeenIndex.changesIndex("first-seen-")).isEqualTo("first-seen_changes");
  }

  @Test
  void longDeviceIdsGetAHashedDocumentId() {
    assertThat(FirstSeenIndex.documentId("abc")).isEqualTo("abc");
    String id = FirstSeenIndex.documentId("x".repeat(300));
    assertThat(id).startsWith("sha256:").hasSize(7 + 64);
  }

  @Test
  void documentCodecRoundTripsARecordAndKeepsTheMinuteAndWriteTime() {
    FirstSeenRecord r =
        new FirstSeenRecord("浏览器", "d\u00e91", 1_795_428_012_345L, "huawei", "ak_1");
    JsonNode doc = FirstSeenIndex.document(r, 42L);
    assertThat(doc.get("minute").asLong()).isEqualTo(1_795_428_000_000L);
    assertThat(doc.get("written_at").asLong()).isEqualTo(42L);
    assertThat(FirstSeenIndex.record(doc)).isEqualTo(r);
  }

  @Test
  void documentWithAFieldMissingIsRefusedWithItsName() {
    JsonNode doc = FirstSeenIndex.document(new FirstSeenRecord("p", "d", 1L, "c", "a"), 0L);
    ((com.fasterxml.jackson.databind.node.ObjectNode) doc).remove("channel");
    assertThatThrownBy(() -> FirstSeenIndex.record(doc)).hasMessageContaining("channel");
  }

  @Test
  void changeMarkCodecRoundTripsTheMinutes() {
    JsonNode mark =
        FirstSeenIndex.changeMark("p", java.util.List.of(60_000L, 120_000L), 7L, "batch-1|0", true);
    assertThat(FirstSeenIndex.markedProduct(mark)).isEqualTo("p");
    assertThat(FirstSeenIndex.markedMinutes(mark)).containsExactly(60_000L, 120_000L);
    assertThat(mark.get("work").asText()).isEqualTo("batch-1|0");
    assertThat(mark.get("pending").asBoolean()).isTrue();
  }
}
