package dev.channelanalytics.parser.functions;

import static dev.channelanalytics.parser.functions.ParserFixtures.envelope;
import static dev.channelanalytics.parser.functions.ParserFixtures.parsed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.RawEnvelope;
import dev.channelanalytics.parser.records.UnmappedEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EnvelopeParserTest {
  private BroadcastOperatorTestHarness<RawEnvelope, ProductMapping, KafkaPayload> harness;

  @BeforeEach
  void setUp() throws Exception {
    harness =
        ProcessFunctionTestHarnesses.forBroadcastProcessFunction(
            new EnvelopeParser(ParserFixtures.KEYRING), ProductMappingState.DESCRIPTOR);
    harness.open();
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private List<ParsedBatch> parsedOutput() {
    return ParserFixtures.parsedOutput(harness);
  }

  private List<DeadLetter> deadLetters() {
    return ParserFixtures.deadLetters(harness);
  }

  private List<UnmappedEnvelope> unmapped() {
    var out = harness.getSideOutput(ParserOutputs.UNMAPPED);
    return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
  }

  @Test
  void mappedBatchIsEnrichedWithItsProductAndKeyedByProductAndDevice() throws Exception {
    harness.processBroadcastElement(new ProductMapping("ak_b", "browser"), 0);
    RawEnvelope raw = envelope("ak_b", " Dev-1 ", " Huawei_Store ", 5_000, 1_000);
    harness.processElement(raw, 0);

    assertThat(harness.extractOutputValues()).hasSize(1);
    KafkaPayload payload = harness.extractOutputValues().get(0);
    ParsedBatch batch = parsed(payload);
    assertThat(batch.productId()).isEqualTo("browser");
    assertThat(batch.deviceId()).isEqualTo("dev-1");
    assertThat(batch.channel()).isEqualTo("huawei_store");
    assertThat(batch.events()).hasSize(2);
    assertThat(batch.firstEventTime()).isEqualTo(ParserFixtures.RECV_TS - 5_000);
    assertThat(batch.origin()).isEqualTo(raw.origin());
    assertThat(new String(payload.key(), StandardCharsets.UTF_8)).isEqualTo("browser\ndev-1");
    assertThat(deadLetters()).isEmpty();
    assertThat(unmapped()).isEmpty();
  }

  @Test
  void unmappedBatchGoesToTheHoldNotToTheOutput() throws Exception {
    harness.processElement(envelope("ak_new", "dev-1", "store", 0), 0);
    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(unmapped()).singleElement().extracting(UnmappedEnvelope::appKey).isEqualTo("ak_new");
  }

  @Test
  void rejectedEnvelopeIsDeadLetteredWithItsReasonAndOriginalBytes() throws Exception {
    RawEnvelope raw = ParserFixtures.raw("{not json");
    harness.processElement(raw, 0);
    assertThat(harness.extractOutputValues()).isEmpty();
    DeadLetter letter = deadLetters().get(0);
    assertThat(letter.reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
    assertThat(letter.envelope()).containsExactly(raw.value());
    assertThat(letter.origin()).isEqualTo(raw.origin());
  }

  @Test
  void unknownKeyIdIsDeadLetteredAsUnknownKey() throws Exception {
    String envelope =
        new String(envelope("ak_b", "d", "c", 0).value(), StandardCharsets.UTF_8)
            .replace("\"kid\":\"k1\"", "\"kid\":\"k9\"");
    harness.processElement(ParserFixtures.raw(envelope), 0);
    assertThat(deadLetters())
        .singleElement()
        .extracting(DeadLetter::reason)
        .isEqualTo(RejectReason.UNKNOWN_KEY);
  }

  @Test
  void mappingUpdateAppliesToBatchesAfterItAndDeletionSendsThemToTheHold() throws Exception {
    harness.processBroadcastElement(new ProductMapping("ak_x", "browser"), 0);
    harness.processElement(envelope("ak_x", "d1", "c", 0), 0);
    harness.processBroadcastElement(new ProductMapping("ak_x", "video"), 0);
    harness.processElement(envelope("ak_x", "d2", "c", 0), 0);
    harness.processBroadcastElement(new ProductMapping("ak_x", null), 0);
    harness.processElement(envelope("ak_x", "d3", "c", 0), 0);

    assertThat(parsedOutput())
        .extracting(ParsedBatch::deviceId, ParsedBatch::productId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("d1", "browser"),
            org.assertj.core.groups.Tuple.tuple("d2", "video"));
    assertThat(unmapped()).singleElement().extracting(UnmappedEnvelope::appKey).isEqualTo("ak_x");
  }
}
