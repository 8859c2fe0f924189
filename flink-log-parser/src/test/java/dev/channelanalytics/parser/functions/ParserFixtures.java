package dev.channelanalytics.parser.functions;

import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.RawEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/** Envelopes for the function tests, encrypted with a fixed test key. */
final class ParserFixtures {
  static final long RECV_TS = 1_795_428_012_345L;
  static final Keyring KEYRING = Keyring.of(Map.of("k1", key()));
  private static final EnvelopeEncoder ENCODER = new EnvelopeEncoder(KEYRING, new Random(7));
  private static long offset;

  private ParserFixtures() {}

  private static byte[] key() {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) 42);
    return k;
  }

  /** An envelope of one device of one app with events at the given offsets before recv_ts. */
  static RawEnvelope envelope(String appKey, String device, String channel, long... ageMillis) {
    List<ClientEvent> events =
        Arrays.stream(ageMillis).mapToObj(a -> new ClientEvent("launch", RECV_TS - a)).toList();
    PlaintextBatch batch = new PlaintextBatch(appKey, device, channel, "1.0", "android", events);
    return raw(ENCODER.encode("k1", "collector-test", RECV_TS, batch, false));
  }

  static RawEnvelope raw(byte[] value) {
    return new RawEnvelope("raw-logs", 0, offset++, RECV_TS, value);
  }

  static RawEnvelope raw(String value) {
    return raw(value.getBytes(StandardCharsets.UTF_8));
  }

  static ParsedBatch parsed(KafkaPayload payload) {
    return ParsedBatch.fromJson(payload.value());
  }

  static DeadLetter deadLetter(KafkaPayload payload) {
    return DeadLetter.fromJson(payload.value());
  }

  /** The parsed batches an operator under test has emitted. */
  static List<ParsedBatch> parsedOutput(AbstractStreamOperatorTestHarness<KafkaPayload> harness) {
    return harness.extractOutputValues().stream().map(ParserFixtures::parsed).toList();
  }

  /** The dead letters an operator under test has sent to its side output. */
  static List<DeadLetter> deadLetters(AbstractStreamOperatorTestHarness<KafkaPayload> harness) {
    var out = harness.getSideOutput(ParserOutputs.DEAD_LETTERS);
    return out == null
        ? List.of()
        : out.stream().map(StreamRecord::getValue).map(ParserFixtures::deadLetter).toList();
  }
}
