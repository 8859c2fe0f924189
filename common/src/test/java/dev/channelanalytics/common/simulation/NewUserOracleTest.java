package dev.channelanalytics.common.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.simulation.NewUserOracle.Bucket;
import dev.channelanalytics.common.simulation.NewUserOracle.FirstSeen;
import dev.channelanalytics.common.simulation.NewUserOracle.User;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NewUserOracleTest {
  private static final Keyring KEYRING = Keyring.of(Map.of("k1", new byte[32]));
  private static final long T = Instant.parse("2026-11-23T10:00:00Z").toEpochMilli();
  private static final long MIN = 60_000;

  private EnvelopeEncoder encoder;
  private NewUserOracle oracle;

  @BeforeEach
  void setUp() {
    encoder = new EnvelopeEncoder(KEYRING, new Random(1));
    oracle = new NewUserOracle(KEYRING);
    oracle.mapping(new ProductMapping("ak_android", "browser"));
    oracle.mapping(new ProductMapping("ak_ios", "browser"));
  }

  private byte[] envelope(String appKey, String device, String channel, long recvTs, long... ts) {
    List<ClientEvent> events =
        java.util.Arrays.stream(ts).mapToObj(t -> new ClientEvent("launch", t)).toList();
    return encoder.encode(
        "k1",
        "test",
        recvTs,
        new PlaintextBatch(appKey, device, channel, null, null, events),
        false);
  }

  private Map<Bucket, Long> minutes() {
    return oracle.newUsers(ChronoUnit.MINUTES, ZoneOffset.UTC);
  }

  private static Bucket minute(long t, String channel) {
    return new Bucket("browser", Instant.ofEpochMilli(t), channel);
  }

  @Test
  void lateEarlierEventMovesUserToEarlierMinuteAndItsChannel() {
    oracle.envelope(envelope("ak_android", "dev-1", "huawei_store", T + 5 * MIN, T + 5 * MIN));
    assertThat(minutes()).containsExactly(Map.entry(minute(T + 5 * MIN, "huawei_store"), 1L));

    // A delivery 20 minutes late holds an event from before: the user moves minute and channel.
    oracle.envelope(envelope("ak_android", "dev-1", "xiaomi_store", T + 25 * MIN, T + 2 * MIN));
    assertThat(minutes()).containsExactly(Map.entry(minute(T + 2 * MIN, "xiaomi_store"), 1L));
    assertThat(oracle.firstSeen())
        .containsExactly(
            Map.entry(
                new User("browser", "dev-1"),
                new FirstSeen(T + 2 * MIN, "xiaomi_store", "ak_android")));
  }

  @Test
  void tieOnFirstSeenTimePicksSmallerChannelWhateverTheArrivalOrder() {
    oracle.envelope(envelope("ak_android", "dev-2", "vivo", T, T + 30_000));
    oracle.envelope(envelope("ak_ios", "dev-2", "apple_store", T, T + 30_000));
    oracle.envelope(envelope("ak_android", "dev-2", "oppo", T, T + 30_000));
    assertThat(minutes()).containsExactly(Map.entry(minute(T, "apple_store"), 1L));
  }

  @Test
  void duplicateDeliveriesAndEventOrderChangeNothing() {
    byte[] first = envelope("ak_android", "dev-3", "huawei_store", T + MIN, T + 40_000, T + 3_000);
    oracle.envelope(first);
    Map<Bucket, Long> once = minutes();
    oracle.envelope(first);
    oracle.envelope(first);
    assertThat(minutes()).isEqualTo(once).containsExactly(Map.entry(minute(T, "huawei_store"), 1L));
  }

  @Test
  void twoAppKeysOfOneProductAreOneUser() {
    oracle.envelope(envelope("ak_android", " DEV-4 ", "Huawei_Store ", T, T));
    oracle.envelope(envelope("ak_ios", "dev-4", "apple_store", T + MIN, T + MIN));
    assertThat(oracle.firstSeen()).containsOnlyKeys(new User("browser", "dev-4"));
    assertThat(minutes()).containsExactly(Map.entry(minute(T, "huawei_store"), 1L));
  }

  @Test
  void batchWaitsForLateMappingAndIsUnknownWithoutOne() {
    oracle.envelope(envelope("ak_game", "dev-5", "taptap", T, T));
    oracle.envelope(envelope("ak_never", "dev-6", "taptap", T, T));
    assertThat(minutes()).isEmpty();
    assertThat(oracle.rejects()).containsEntry(RejectReason.UNKNOWN_APP_KEY, 2L);

    oracle.mapping(new ProductMapping("ak_game", "game"));
    assertThat(oracle.newUsers(ChronoUnit.MINUTES, ZoneOffset.UTC))
        .containsExactly(Map.entry(new Bucket("game", Instant.ofEpochMilli(T), "taptap"), 1L));
    assertThat(oracle.rejects()).containsEntry(RejectReason.UNKNOWN_APP_KEY, 1L);
  }

  @Test
  void acceptedBatchesAreReportedWithTheirProductOnArrivalOrWhenALateMappingReleasesThem() {
    java.util.List<String> accepted = new java.util.ArrayList<>();
    oracle.onAccepted((batch, product) -> accepted.add(product + "/" + batch.deviceId()));
    oracle.envelope(envelope("ak_game", "dev-5", "taptap", T, T));
    oracle.envelope(envelope("ak_android", "dev-9", "organic", T, T));
    assertThat(accepted).containsExactly("browser/dev-9");
    oracle.mapping(new ProductMapping("ak_game", "game"));
    assertThat(accepted).containsExactly("browser/dev-9", "game/dev-5");
  }

  @Test
  void farOffClientClockCountsAtReceiveTime() {
    long recv = T + 7 * MIN;
    oracle.envelope(envelope("ak_android", "dev-7", "organic", recv, recv - 4 * 24 * 60 * MIN));
    assertThat(minutes()).containsExactly(Map.entry(minute(recv, "organic"), 1L));
  }

  @Test
  void hourAndDayBucketsFollowTheReportTimeZone() {
    long t0 = Instant.parse("2026-11-23T15:30:00Z").toEpochMilli();
    oracle.envelope(envelope("ak_android", "dev-8", "organic", t0, t0));
    ZoneId shanghai = ZoneId.of("Asia/Shanghai");
    // 15:30Z is 23:30 in Shanghai: the Shanghai day of 2026-11-23, which began at 16:00Z the day
    // before.
    assertThat(oracle.newUsers(ChronoUnit.DAYS, shanghai))
        .containsOnlyKeys(new Bucket("browser", Instant.parse("2026-11-22T16:00:00Z"), "organic"));
    assertThat(oracle.newUsers(ChronoUnit.HOURS, ZoneOffset.UTC))
        .containsOnlyKeys(new Bucket("browser", Instant.parse("2026-11-23T15:00:00Z"), "organic"));
    assertThat(oracle.cumulative("browser", Instant.ofEpochMilli(t0))).isEmpty();
    assertThat(oracle.cumulative("browser", Instant.ofEpochMilli(t0 + 1)))
        .containsExactly(Map.entry("organic", 1L));
  }

  @Test
  void rejectsAreCountedPerReason() {
    oracle.envelope("not json".getBytes());
    oracle.envelope(envelope("ak_android", "unknown", "organic", T, T));
    assertThat(oracle.rejects())
        .containsEntry(RejectReason.BAD_ENVELOPE, 1L)
        .containsEntry(RejectReason.INVALID_DEVICE_ID, 1L);
    assertThat(oracle.envelopes()).isEqualTo(2);
  }
}
