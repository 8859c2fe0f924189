package dev.channelanalytics.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Names built from contract identifiers stay within Elasticsearch's limits. */
class BoundedNamesTest {
  private static final String CJK_128 = "品".repeat(128);

  @Test
  void aShortIdIsItsPartsJoined() {
    assertThat(BoundedNames.id("p", "hour", "1", "c")).isEqualTo("p|hour|1|c");
  }

  @Test
  void anIdOfTwo128CharacterCjkIdentifiersIsADigestWithinTheLimit() {
    String id = BoundedNames.id(CJK_128, "minute", "1795428000000", CJK_128);
    assertThat(id).startsWith("sha256:");
    assertThat(id.getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(BoundedNames.MAX_ID_BYTES);
    assertThat(BoundedNames.id(CJK_128, "minute", "1795428000000", CJK_128)).isEqualTo(id);
    assertThat(BoundedNames.id(CJK_128, "minute", "1795428060000", CJK_128)).isNotEqualTo(id);
  }

  @Test
  void theIndexOfA128CharacterCjkProductIsCutWithADigestAndStaysDistinct() {
    String index = FirstSeenIndex.indexOf("first-seen-", CJK_128);
    assertThat(index.length()).isLessThanOrEqualTo(BoundedNames.MAX_INDEX_BYTES);
    assertThat(index).startsWith("first-seen-+e5").contains("~").isEqualTo(index.toLowerCase());
    // The cut never splits an escape: everything before the digest is whole escapes.
    assertThat(index.substring("first-seen-".length(), index.indexOf('~')))
        .matches("(\\+[0-9a-f]{2})+");
    String other = FirstSeenIndex.indexOf("first-seen-", "品".repeat(127) + "器");
    assertThat(other).isNotEqualTo(index);
    assertThat(FirstSeenIndex.indexOf("first-seen-", "browser")).isEqualTo("first-seen-browser");
  }

  @Test
  void aDeviceIdKeepsItsOwnLimitOf256Bytes() {
    assertThat(FirstSeenIndex.documentId("d".repeat(256))).isEqualTo("d".repeat(256));
    assertThat(FirstSeenIndex.documentId("d".repeat(257))).startsWith("sha256:").hasSize(71);
  }
}
