package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.KEYRING;
import static dev.channelanalytics.common.contract.Fixtures.RECV_TS;
import static dev.channelanalytics.common.contract.Fixtures.goodBatch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EnvelopeRoundTripTest {

  private static final String[] CHANNELS = {"huawei_store", " Xiaomi ", "APP_STORE", "", null};

  private final EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);

  @Test
  void randomBatchesSurviveEncodeAndDecodeWithEveryKeyPlainAndGzip() {
    Random random = new Random(11);
    EnvelopeEncoder encoder = new EnvelopeEncoder(KEYRING, new Random(12));
    for (int i = 0; i < 2_000; i++) {
      PlaintextBatch batch = randomBatch(random);
      String kid = "k" + (1 + random.nextInt(3));
      boolean gzip = random.nextBoolean();
      long recvTs = RECV_TS + random.nextInt(1_000_000);

      DecodeResult result =
          decoder.decode(encoder.encode(kid, "collector-" + i, recvTs, batch, gzip));

      assertThat(result).isInstanceOf(DecodedBatch.class);
      DecodedBatch decoded = (DecodedBatch) result;
      assertThat(decoded.src()).isEqualTo("collector-" + i);
      assertThat(decoded.kid()).isEqualTo(kid);
      assertThat(decoded.recvTs()).isEqualTo(recvTs);
      assertThat(decoded.appKey()).isEqualTo(batch.appKey());
      assertThat(decoded.deviceId()).isEqualTo(batch.deviceId().strip().toLowerCase(Locale.ROOT));
      assertThat(decoded.channel()).isEqualTo(Normalisation.channel(batch.channel()));
      assertThat(decoded.appVersion()).isEqualTo(batch.appVersion());
      assertThat(decoded.os()).isEqualTo(batch.os());
      assertThat(decoded.rejectedEvents()).isEmpty();
      List<DecodedEvent> expected = new ArrayList<>();
      for (int e = 0; e < batch.events().size(); e++) {
        ClientEvent event = batch.events().get(e);
        expected.add(
            new DecodedEvent(
                e,
                event.type(),
                Normalisation.eventTime(recvTs, event.ts()),
                Normalisation.isTrusted(recvTs, event.ts())));
      }
      assertThat(decoded.events()).isEqualTo(expected);
    }
  }

  @Test
  void seededIvSourceMakesEnvelopesRepeatable() {
    byte[] first =
        new EnvelopeEncoder(KEYRING, new Random(5)).encode("k1", "c", RECV_TS, goodBatch(), true);
    byte[] second =
        new EnvelopeEncoder(KEYRING, new Random(5)).encode("k1", "c", RECV_TS, goodBatch(), true);
    byte[] other =
        new EnvelopeEncoder(KEYRING, new Random(6)).encode("k1", "c", RECV_TS, goodBatch(), true);
    assertThat(first).isEqualTo(second).isNotEqualTo(other);
  }

  @Test
  void envelopeJsonHasTheContractFieldsInOrder() {
    String json =
        EnvelopeEncoder.envelopeJson("c\"1", "k1", 5, new byte[12], new byte[] {1, 2, 3}, true);
    assertThat(json)
        .isEqualTo(
            "{\"v\":1,\"src\":\"c\\\"1\",\"kid\":\"k1\",\"recv_ts\":5,"
                + "\"iv\":\"AAAAAAAAAAAAAAAA\",\"data\":\"AQID\",\"zip\":\"gzip\"}");
    assertThat(EnvelopeEncoder.envelopeJson("c", "k1", 5, new byte[12], new byte[0], false))
        .doesNotContain("zip");
  }

  @Test
  void plaintextJsonOmitsNullFields() {
    PlaintextBatch batch =
        new PlaintextBatch("ak", null, null, null, "ios", List.of(new ClientEvent(null, 7)));
    assertThat(new String(batch.toJson(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{\"app_key\":\"ak\",\"os\":\"ios\",\"events\":[{\"ts\":7}]}");
    assertThat(
            new String(
                new PlaintextBatch(null, null, null, null, null, null).toJson(),
                java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{}");
  }

  @Test
  void encryptingWithAnUnknownKidFails() {
    EnvelopeEncoder encoder = new EnvelopeEncoder(KEYRING, new Random(1));
    assertThatThrownBy(() -> encoder.encrypt("k9", new byte[1], new byte[12]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown key k9");
  }

  @Test
  void encryptingTwiceWithTheSameIvGivesTheSameCiphertext() {
    EnvelopeEncoder encoder = new EnvelopeEncoder(KEYRING, new Random(1));
    byte[] iv = encoder.newIv();
    assertThat(encoder.encrypt("k1", new byte[] {1}, iv))
        .hasSize(17)
        .isEqualTo(encoder.encrypt("k1", new byte[] {1}, iv));
  }

  private static PlaintextBatch randomBatch(Random random) {
    List<ClientEvent> events = new ArrayList<>();
    for (int i = 1 + random.nextInt(5); i > 0; i--) {
      long offset = (long) ((random.nextDouble() - 0.8) * 5 * Normalisation.MAX_CLIENT_LAG_MS);
      events.add(new ClientEvent(random.nextBoolean() ? "launch" : "page_view", RECV_TS + offset));
    }
    String deviceId =
        (random.nextBoolean() ? " " : "")
            + "Dev-"
            + Long.toHexString(random.nextLong()).toUpperCase(Locale.ROOT);
    return new PlaintextBatch(
        "ak_" + random.nextInt(100) + (random.nextBoolean() ? " " : ""),
        deviceId,
        CHANNELS[random.nextInt(CHANNELS.length)],
        random.nextBoolean() ? "5." + random.nextInt(10) : null,
        random.nextBoolean() ? "android" : null,
        events);
  }
}
