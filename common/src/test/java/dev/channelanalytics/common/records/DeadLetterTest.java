package dev.channelanalytics.common.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.RejectReason;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Dead letters keep the original when it fits and stay within 1 MiB when it does not. */
class DeadLetterTest {
  private static final RecordOrigin ORIGIN =
      new RecordOrigin("raw-logs", 3, 1234, 1_700_000_000_000L);

  @Test
  void aSmallEnvelopeIsKeptWhole() {
    byte[] envelope = "{\"v\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    DeadLetter read =
        DeadLetter.fromJson(
            DeadLetter.ofEnvelope(RejectReason.BAD_ENVELOPE, "why", ORIGIN, envelope, null)
                .toJson());
    assertThat(read.envelope()).containsExactly(envelope);
    assertThat(read.truncated()).isFalse();
    assertThat(read.origin()).isEqualTo(ORIGIN);
  }

  @Test
  void anEnvelopeWhoseCopyWouldPassOneMebibyteIsKeptAsItsStartWithItsCoordinates() {
    // 900 KB of garbage: under the record limit, but 1.2 MB in base64.
    byte[] garbage = new byte[900 * 1024];
    Arrays.fill(garbage, (byte) 'g');
    byte[] json =
        DeadLetter.ofEnvelope(RejectReason.BAD_ENVELOPE, "not JSON", ORIGIN, garbage, null)
            .toJson();
    assertThat(json.length).isLessThanOrEqualTo(DeadLetter.MAX_BYTES);
    DeadLetter read = DeadLetter.fromJson(json);
    assertThat(read.truncated()).isTrue();
    assertThat(read.envelope()).containsExactly(Arrays.copyOf(garbage, DeadLetter.PREFIX_BYTES));
    assertThat(read.origin()).isEqualTo(ORIGIN);
    assertThat(new String(json, java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"envelope_bytes\":" + garbage.length);
  }

  @Test
  void aHugeRejectedEventIsCutToo() {
    String event = "{\"type\":\"" + "x".repeat(2_000_000) + "\"}";
    byte[] json = DeadLetter.ofEvent(ORIGIN, new byte[10], "ak", 7, event).toJson();
    assertThat(json.length).isLessThanOrEqualTo(DeadLetter.MAX_BYTES);
    DeadLetter read = DeadLetter.fromJson(json);
    assertThat(read.truncated()).isTrue();
    assertThat(read.eventIndex()).isEqualTo(7);
    assertThat(event).startsWith(read.eventJson());
  }
}
