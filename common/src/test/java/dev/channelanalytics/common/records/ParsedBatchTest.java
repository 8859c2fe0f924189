package dev.channelanalytics.common.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.contract.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParsedBatchTest {
  private static final RecordOrigin ORIGIN = new RecordOrigin("raw-logs", 3, 12345L, 1000L);

  private static ParsedBatch batch(String appVersion, String os) {
    return new ParsedBatch(
        "browser",
        "9f1c-\"quoted\"\n",
        "huawei_store",
        "ak_7f3a",
        1_795_428_012_345L,
        "collector-bj-03",
        "k1",
        appVersion,
        os,
        ORIGIN,
        List.of(
            new DecodedEvent(0, "launch", 1_795_428_000_000L, true),
            new DecodedEvent(2, "page_view", 1_795_428_012_345L, false)));
  }

  @Test
  void jsonRoundTripKeepsEveryField() {
    ParsedBatch withOptionals = batch("5.2.1", "android");
    assertThat(ParsedBatch.fromJson(withOptionals.toJson())).isEqualTo(withOptionals);
    ParsedBatch without = batch(null, null);
    assertThat(ParsedBatch.fromJson(without.toJson())).isEqualTo(without);
  }

  @Test
  void firstEventTimeIsTheEarliestEvent() {
    assertThat(batch(null, null).firstEventTime()).isEqualTo(1_795_428_000_000L);
  }

  @Test
  void keyIsProductAndDevice() {
    assertThat(new String(batch(null, null).kafkaKey(), StandardCharsets.UTF_8))
        .isEqualTo("browser\n9f1c-\"quoted\"\n");
  }

  @Test
  void batchWithoutEventsIsRefused() {
    assertThatThrownBy(
            () -> new ParsedBatch("p", "d", "c", "a", 1L, "s", "k", null, null, ORIGIN, List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRecordWithoutAFieldOrBeyondTheContractsLimitsIsNotAParsedBatch() {
    assertThatThrownBy(
            () -> ParsedBatch.fromJson("{\"product_id\":\"p\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a parsed batch");
    String tooLong =
        "{\"product_id\":\"p\",\"device_id\":\""
            + "d".repeat(40_000)
            + "\",\"channel\":\"c\",\"app_key\":\"a\",\"origin\":{\"topic\":\"t\",\"partition\":0,"
            + "\"offset\":0,\"timestamp\":0},\"events\":[{\"i\":0,\"type\":\"x\",\"t\":1}]}";
    assertThatThrownBy(() -> ParsedBatch.fromJson(tooLong.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("device_id is longer than 128 characters");
  }

  @Test
  void garbageIsNotAParsedBatch() {
    assertThatThrownBy(() -> ParsedBatch.fromJson("[1]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a parsed batch");
  }

  @Test
  void deadLetterRoundTripKeepsOriginalBytes() {
    byte[] original = {(byte) 0xff, 0, '{', '"'};
    DeadLetter envelope =
        DeadLetter.ofEnvelope(RejectReason.BAD_ENVELOPE, "not JSON", ORIGIN, original, null);
    DeadLetter read = DeadLetter.fromJson(envelope.toJson());
    assertThat(read.reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
    assertThat(read.detail()).isEqualTo("not JSON");
    assertThat(read.origin()).isEqualTo(ORIGIN);
    assertThat(read.envelope()).containsExactly(original);
    assertThat(read.events()).isEmpty();

    DeadLetter event =
        DeadLetter.ofEvents(
            ORIGIN,
            original,
            "ak_1",
            java.util.List.of(
                new dev.channelanalytics.common.contract.RejectedEvent(
                    4, RejectReason.BAD_EVENT, "{\"ts\":\"x\"}")));
    DeadLetter readEvent = DeadLetter.fromJson(event.toJson());
    assertThat(readEvent.reason()).isEqualTo(RejectReason.BAD_EVENT);
    assertThat(readEvent.events())
        .singleElement()
        .satisfies(e -> assertThat(e.index()).isEqualTo(4));
    assertThat(readEvent.events().get(0).eventJson()).isEqualTo("{\"ts\":\"x\"}");
    assertThat(readEvent.appKey()).isEqualTo("ak_1");
    assertThat(new String(event.kafkaKey(), StandardCharsets.UTF_8)).isEqualTo("bad_event");
  }
}
