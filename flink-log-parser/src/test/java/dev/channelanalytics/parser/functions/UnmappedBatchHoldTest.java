package dev.channelanalytics.parser.functions;

import static dev.channelanalytics.parser.functions.ParserFixtures.envelope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.RawEnvelope;
import dev.channelanalytics.parser.records.UnmappedEnvelope;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UnmappedBatchHoldTest {
  private static final long HOLD = 600_000L;

  private KeyedBroadcastOperatorTestHarness<String, UnmappedEnvelope, ProductMapping, KafkaPayload>
      harness;

  @BeforeEach
  void setUp() throws Exception {
    harness = harness(32L << 20);
  }

  private static KeyedBroadcastOperatorTestHarness<
          String, UnmappedEnvelope, ProductMapping, KafkaPayload>
      harness(long maxHeldBytes) throws Exception {
    var h =
        ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
            new UnmappedBatchHold(ParserFixtures.KEYRING, HOLD, maxHeldBytes),
            UnmappedEnvelope::appKey,
            Types.STRING,
            ProductMappingState.DESCRIPTOR);
    h.open();
    h.setProcessingTime(1_000L);
    return h;
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private void hold(String appKey, String device) throws Exception {
    RawEnvelope raw = envelope(appKey, device, "store", 0);
    harness.processElement(new UnmappedEnvelope(appKey, raw, 0L), 0);
  }

  /** Keyed state entries (one per app key with held batches); the harness has no accessor. */
  private int heldStateEntries() {
    var operator = (AbstractStreamOperator<?>) harness.getOperator();
    return ((HeapKeyedStateBackend<?>) operator.getKeyedStateBackend()).numKeyValueStateEntries();
  }

  private List<ParsedBatch> released() {
    return ParserFixtures.parsedOutput(harness);
  }

  private List<DeadLetter> deadLetters() {
    return ParserFixtures.deadLetters(harness);
  }

  @Test
  void lateMappingReleasesHeldBatchesAtOnceAndStateIsClearedAfterwards() throws Exception {
    hold("ak_late", "d1");
    hold("ak_late", "d2");
    hold("ak_other", "d3");
    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(heldStateEntries()).isEqualTo(2);

    harness.setProcessingTime(1_000L + HOLD / 2);
    harness.processBroadcastElement(new ProductMapping("ak_late", "game"), 0);

    assertThat(released())
        .extracting(ParsedBatch::deviceId, ParsedBatch::productId)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("d1", "game"),
            org.assertj.core.groups.Tuple.tuple("d2", "game"));
    assertThat(heldStateEntries()).isEqualTo(1);
    assertThat(deadLetters()).isEmpty();

    // The released key's timer finds nothing; the other key times out; nothing is left.
    harness.setProcessingTime(1_000L + HOLD);
    assertThat(deadLetters())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(RejectReason.UNKNOWN_APP_KEY);
              assertThat(d.appKey()).isEqualTo("ak_other");
            });
    assertThat(heldStateEntries()).isZero();
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void aNewAppSendingThousandsOfBatchesHasOneTimerPerSecondAndAllAreReleased() throws Exception {
    int batches = 3_000;
    for (int i = 0; i < batches; i++) {
      harness.setProcessingTime(1_000L + i); // a thousand a second, for three seconds
      hold("ak_new", "d" + i);
    }
    assertThat(harness.numProcessingTimeTimers()).isLessThanOrEqualTo(4);
    assertThat(heldStateEntries()).isEqualTo(1);

    harness.processBroadcastElement(new ProductMapping("ak_new", "game"), 0);
    assertThat(released()).hasSize(batches);
    assertThat(heldStateEntries()).isZero();
    harness.setProcessingTime(10_000L + HOLD);
    assertThat(deadLetters()).isEmpty();
  }

  @Test
  void aRoundedDeadlineIsNeverBeforeTheHoldTime() throws Exception {
    harness.setProcessingTime(1_500L);
    hold("ak_round", "d1");
    harness.setProcessingTime(1_500L + HOLD - 1);
    assertThat(deadLetters()).isEmpty();
    harness.setProcessingTime(2_000L + HOLD);
    assertThat(deadLetters()).singleElement().extracting(DeadLetter::appKey).isEqualTo("ak_round");
  }

  @Test
  void beyondTheByteLimitABatchIsRejectedAtOnceSayingTheHoldIsFull() throws Exception {
    harness.close();
    long size = envelope("ak_full", "d0", "store", 0).value().length;
    harness = harness(2 * size);
    hold("ak_full", "d1");
    hold("ak_full", "d2");
    assertThat(deadLetters()).isEmpty();
    hold("ak_full", "d3");
    assertThat(deadLetters())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.reason()).isEqualTo(RejectReason.UNKNOWN_APP_KEY);
              assertThat(d.detail()).contains("the hold is full").contains("parser.hold-max-bytes");
            });
    // Room again once the held ones are released.
    harness.processBroadcastElement(new ProductMapping("ak_full", "game"), 0);
    assertThat(released()).hasSize(2);
    harness.processBroadcastElement(new ProductMapping("ak_full", null), 0);
    hold("ak_full", "d4");
    assertThat(deadLetters()).hasSize(1);
  }

  @Test
  void batchStillUnmappedAtItsDeadlineIsRejectedAsUnknownAppKeyNotBefore() throws Exception {
    hold("ak_never", "d1");
    harness.setProcessingTime(1_000L + HOLD - 1);
    assertThat(deadLetters()).isEmpty();
    assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);

    harness.setProcessingTime(1_000L + HOLD);
    DeadLetter letter = deadLetters().get(0);
    assertThat(letter.reason()).isEqualTo(RejectReason.UNKNOWN_APP_KEY);
    assertThat(letter.envelope()).isNotEmpty();
    assertThat(harness.extractOutputValues()).isEmpty();
    assertThat(heldStateEntries()).isZero();
    assertThat(harness.numProcessingTimeTimers()).isZero();

    // A mapping after the deadline comes too late for that batch.
    harness.processBroadcastElement(new ProductMapping("ak_never", "game"), 0);
    assertThat(harness.extractOutputValues()).isEmpty();
  }

  @Test
  void eachBatchWaitsItsOwnHoldTime() throws Exception {
    hold("ak_k", "early");
    harness.setProcessingTime(1_000L + 100_000L);
    hold("ak_k", "later");
    assertThat(harness.numProcessingTimeTimers()).isEqualTo(2);

    harness.setProcessingTime(1_000L + HOLD);
    assertThat(deadLetters()).hasSize(1);
    assertThat(heldStateEntries()).isEqualTo(1);

    harness.processBroadcastElement(new ProductMapping("ak_k", "video"), 0);
    assertThat(released()).singleElement().extracting(ParsedBatch::deviceId).isEqualTo("later");
    harness.setProcessingTime(1_000L + 100_000L + HOLD);
    assertThat(deadLetters()).hasSize(1);
    assertThat(heldStateEntries()).isZero();
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void mappingAlreadyKnownToTheHoldReleasesOnArrival() throws Exception {
    harness.processBroadcastElement(new ProductMapping("ak_fast", "browser"), 0);
    hold("ak_fast", "d1");
    assertThat(released()).singleElement().extracting(ParsedBatch::productId).isEqualTo("browser");
    assertThat(heldStateEntries()).isZero();
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void updatedMappingReleasesWithTheNewProductAndDeletionKeepsHolding() throws Exception {
    harness.processBroadcastElement(new ProductMapping("ak_u", "browser"), 0);
    harness.processBroadcastElement(new ProductMapping("ak_u", null), 0);
    hold("ak_u", "d1");
    assertThat(harness.extractOutputValues()).isEmpty();

    harness.processBroadcastElement(new ProductMapping("ak_u", "video"), 0);
    assertThat(released()).singleElement().extracting(ParsedBatch::productId).isEqualTo("video");
    assertThat(heldStateEntries()).isZero();
  }
}
