package dev.channelanalytics.common.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.contract.RejectedEnvelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrafficSimulatorTest {
  private static final Keyring KEYRING =
      Keyring.of(Map.of("k1", new byte[32], "k2", filled(7), "k3", filled(9)));
  private static final long START = 1_795_428_000_000L;

  private static byte[] filled(int b) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) b);
    return key;
  }

  private static List<SimulatedRecord> simulate(long seed, int envelopes) {
    SimulationSpec spec =
        SimulationSpec.defaults(
                seed, envelopes, START, Duration.ofHours(2), List.of("k1", "k2", "k3"))
            .withRejectShare(0.02);
    List<SimulatedRecord> out = new ArrayList<>();
    new TrafficSimulator(spec, KEYRING).forEachRemaining(out::add);
    return out;
  }

  @Test
  void sameSeedGivesTheSameBytesAndAnotherSeedDoesNot() {
    List<SimulatedRecord> a = simulate(42, 2_000);
    List<SimulatedRecord> b = simulate(42, 2_000);
    List<SimulatedRecord> c = simulate(43, 2_000);
    assertThat(a).hasSameSizeAs(b);
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.get(i).value()).isEqualTo(b.get(i).value());
    }
    assertThat(c.get(c.size() / 2).value()).isNotEqualTo(a.get(a.size() / 2).value());
  }

  @Test
  void makesExactlyTheRequestedEnvelopesAndAMappingForEveryUsedAppKey() {
    List<SimulatedRecord> records = simulate(7, 3_000);
    assertThat(records.stream().filter(r -> !r.isMapping()).count()).isEqualTo(3_000);
    Set<String> mapped = new HashSet<>();
    records.stream()
        .filter(SimulatedRecord::isMapping)
        .map(r -> ProductMapping.fromKafka(r.key(), r.value()))
        .forEach(m -> mapped.add(m.appKey()));
    EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);
    for (SimulatedRecord r : records) {
      if (!r.isMapping() && r.intended() == null) {
        DecodeResult result = decoder.decode(r.value());
        assertThat(result).isInstanceOf(DecodedBatch.class);
        assertThat(mapped).contains(((DecodedBatch) result).appKey());
      }
    }
  }

  @Test
  void everyRejectKindIsMadeAndDecodesToItsReason() {
    EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);
    Map<RejectReason, Integer> made = new EnumMap<>(RejectReason.class);
    for (SimulatedRecord r : simulate(11, 5_000)) {
      if (r.isMapping() || r.intended() == null) {
        continue;
      }
      made.merge(r.intended(), 1, Integer::sum);
      DecodeResult result = decoder.decode(r.value());
      switch (r.intended()) {
        case BAD_EVENT ->
            assertThat(((DecodedBatch) result).rejectedEvents())
                .singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_EVENT));
        case UNKNOWN_APP_KEY ->
            assertThat(((DecodedBatch) result).appKey()).startsWith("ak_unmapped_");
        default ->
            assertThat(result)
                .isInstanceOfSatisfying(
                    RejectedEnvelope.class, e -> assertThat(e.reason()).isEqualTo(r.intended()));
      }
    }
    assertThat(made.keySet()).containsExactlyInAnyOrder(RejectReason.values());
  }

  @Test
  void rotatesThroughEveryKeyAndSendsLateAndFarOffEvents() {
    EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);
    Set<String> kids = new HashSet<>();
    long maxLateness = 0;
    int untrusted = 0;
    for (SimulatedRecord r : simulate(5, 5_000)) {
      if (!r.isMapping() && decoder.decode(r.value()) instanceof DecodedBatch b) {
        kids.add(b.kid());
        for (var e : b.events()) {
          maxLateness = Math.max(maxLateness, b.recvTs() - e.eventTime());
          untrusted += e.clientTimeTrusted() ? 0 : 1;
        }
      }
    }
    assertThat(kids).containsExactlyInAnyOrder("k1", "k2", "k3");
    assertThat(maxLateness).isGreaterThan(Duration.ofMinutes(10).toMillis());
    assertThat(untrusted).isPositive();
  }
}
