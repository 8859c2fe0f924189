package dev.channelanalytics.common.records;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.contract.RejectedEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    byte[] json =
        DeadLetter.ofEvents(
                ORIGIN,
                new byte[10],
                "ak",
                List.of(new RejectedEvent(7, RejectReason.BAD_EVENT, event)))
            .toJson();
    assertThat(json.length).isLessThanOrEqualTo(DeadLetter.MAX_BYTES);
    DeadLetter read = DeadLetter.fromJson(json);
    assertThat(read.eventsRejected()).isEqualTo(1);
    assertThat(read.events()).singleElement().satisfies(e -> assertThat(e.index()).isEqualTo(7));
    assertThat(read.events().get(0).eventJson())
        .hasSize(DeadLetter.MAX_EVENT_CHARS)
        .isEqualTo(event.substring(0, DeadLetter.MAX_EVENT_CHARS));
  }

  @Test
  void thousandsOfBadEventsOfOneBatchAreOneDeadLetterThatCountsThemAndShowsTheFirst() {
    List<RejectedEvent> rejected = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      rejected.add(new RejectedEvent(i, RejectReason.BAD_EVENT, "{\"ts\":\"" + i + "\"}"));
    }
    byte[] envelope = new byte[300 * 1024];
    DeadLetter letter = DeadLetter.ofEvents(ORIGIN, envelope, "ak", rejected);
    assertThat(letter.rejects()).isEqualTo(10_000);
    byte[] json = letter.toJson();
    assertThat(json.length).isLessThanOrEqualTo(DeadLetter.MAX_BYTES);
    DeadLetter read = DeadLetter.fromJson(json);
    assertThat(read.reason()).isEqualTo(RejectReason.BAD_EVENT);
    assertThat(read.eventsRejected()).isEqualTo(10_000);
    assertThat(read.rejects()).isEqualTo(10_000);
    assertThat(read.events()).hasSize(DeadLetter.MAX_EVENT_SAMPLES);
    assertThat(read.events().get(99).index()).isEqualTo(99);
    assertThat(read.envelope()).hasSize(envelope.length);
    assertThat(read.truncated()).isFalse();
  }

  @Test
  void aWholeEnvelopeRejectCountsOnce() {
    assertThat(
            DeadLetter.ofEnvelope(RejectReason.BAD_PAYLOAD, "x", ORIGIN, new byte[1], null)
                .rejects())
        .isEqualTo(1);
  }
}
