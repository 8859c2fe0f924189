package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.KEYRING;
import static dev.channelanalytics.common.contract.Fixtures.RECV_TS;
import static dev.channelanalytics.common.contract.Fixtures.base64;
import static dev.channelanalytics.common.contract.Fixtures.base64Decode;
import static dev.channelanalytics.common.contract.Fixtures.bytesOf;
import static dev.channelanalytics.common.contract.Fixtures.encoder;
import static dev.channelanalytics.common.contract.Fixtures.envelopeOf;
import static dev.channelanalytics.common.contract.Fixtures.goodBatch;
import static dev.channelanalytics.common.contract.Fixtures.goodEnvelope;
import static dev.channelanalytics.common.contract.Fixtures.goodEnvelopeTree;
import static dev.channelanalytics.common.contract.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Seeded random and exhaustive mutations: the decoder must answer every input with a result. */
class EnvelopeDecoderFuzzTest {

  private static final int FIVE_MB = 5 * 1024 * 1024;
  private static final int UNDER_LIMIT = 900 * 1024;

  private final EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);

  @Test
  void randomBytesAlwaysGiveARejection() {
    Random random = new Random(1);
    for (int i = 0; i < 20_000; i++) {
      byte[] input = new byte[random.nextInt(600)];
      random.nextBytes(input);
      if (i % 2 == 0 && input.length > 0) {
        input[0] = '{';
      }
      assertThat(decodeSafely(input, "random bytes #" + i)).isInstanceOf(RejectedEnvelope.class);
    }
  }

  @Test
  void randomJsonishTextAlwaysGivesAResult() {
    Random random = new Random(2);
    String alphabet = "{}[]\":,01-.eE tfnulrsvkidatzpg\\éñ\u2028\uD83D\uDE00";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(200);
      for (int j = 0; j < length; j++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      DecodeResult result = decoder.decode(text.toString());
      assertWellFormed(result, "jsonish #" + i);
    }
  }

  @Test
  void everyTruncationOfAValidEnvelopeIsBadEnvelope() {
    for (boolean gzip : new boolean[] {false, true}) {
      byte[] envelope = encoder().encode("k1", "c", RECV_TS, goodBatch(), gzip);
      for (int length = 0; length < envelope.length; length++) {
        DecodeResult result = decodeSafely(Arrays.copyOf(envelope, length), "prefix " + length);
        assertThat(result).isInstanceOf(RejectedEnvelope.class);
        assertThat(((RejectedEnvelope) result).reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
      }
      assertThat(decoder.decode(envelope)).isInstanceOf(DecodedBatch.class);
    }
  }

  @Test
  void everyBitFlipOfAValidEnvelopeGivesAResult() {
    byte[] envelope = goodEnvelope();
    for (int bit = 0; bit < envelope.length * 8; bit++) {
      byte[] flipped = envelope.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      decodeSafely(flipped, "bit " + bit);
    }
  }

  @Test
  void everyBitFlipOfTheCiphertextIsDecryptFailed() {
    ObjectNode envelope = goodEnvelopeTree();
    byte[] data = base64Decode(envelope.get("data").textValue());
    for (int bit = 0; bit < data.length * 8; bit++) {
      byte[] flipped = data.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      DecodeResult result =
          decodeSafely(bytesOf(envelope.put("data", base64(flipped))), "bit " + bit);
      assertThat(result)
          .isEqualTo(new RejectedEnvelope(RejectReason.DECRYPT_FAILED, "GCM tag mismatch"));
    }
  }

  @Test
  void everyBitFlipOfTheGzipPayloadIsBatchOrBadPayload() {
    byte[] gzipped = encoder().gzip(goodBatch().toJson());
    for (int bit = 0; bit < gzipped.length * 8; bit++) {
      byte[] flipped = gzipped.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      DecodeResult result = decodeSafely(envelopeOf(flipped, true), "bit " + bit);
      if (result instanceof RejectedEnvelope rejected) {
        assertThat(rejected.reason()).as("bit " + bit).isEqualTo(RejectReason.BAD_PAYLOAD);
      }
    }
  }

  @Test
  void everyBitFlipOfThePlaintextIsBatchOrAPlaintextReason() {
    Set<RejectReason> plaintextReasons =
        EnumSet.of(
            RejectReason.BAD_PAYLOAD, RejectReason.MISSING_APP_KEY, RejectReason.INVALID_DEVICE_ID);
    byte[] plaintext = goodBatch().toJson();
    for (int bit = 0; bit < plaintext.length * 8; bit++) {
      byte[] flipped = plaintext.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      DecodeResult result = decodeSafely(envelopeOf(flipped, false), "bit " + bit);
      if (result instanceof RejectedEnvelope rejected) {
        assertThat(plaintextReasons).as("bit " + bit).contains(rejected.reason());
      }
    }
  }

  @Test
  void randomFieldValuesAlwaysGiveAResult() {
    Random random = new Random(3);
    String[] fields = {"v", "src", "kid", "recv_ts", "iv", "data", "zip", "other"};
    ObjectNode good = goodEnvelopeTree();
    for (int i = 0; i < 5_000; i++) {
      ObjectNode envelope = good.deepCopy();
      for (int j = 0; j < 1 + random.nextInt(3); j++) {
        String field = fields[random.nextInt(fields.length)];
        if (random.nextInt(4) == 0) {
          envelope.remove(field);
        } else {
          envelope.set(field, RandomJson.value(random, 3));
        }
      }
      decodeSafely(bytesOf(envelope), "envelope #" + i);
    }
  }

  @Test
  void randomPlaintextsAlwaysGiveAResult() {
    Random random = new Random(4);
    EnvelopeEncoder encoder = encoder();
    for (int i = 0; i < 2_000; i++) {
      byte[] plaintext = utf8(RandomJson.plaintext(random).toString());
      boolean gzip = random.nextBoolean();
      byte[] payload = gzip ? encoder.gzip(plaintext) : plaintext;
      decodeSafely(envelopeOf(payload, gzip), "plaintext #" + i);
    }
  }

  @Test
  void hugeSrcStringIsKept() {
    String src = "s".repeat(UNDER_LIMIT);
    DecodeResult result = decodeSafely(bytesOf(goodEnvelopeTree().put("src", src)), "huge src");
    assertThat(result).isInstanceOf(DecodedBatch.class);
    assertThat(((DecodedBatch) result).src()).hasSize(UNDER_LIMIT);
  }

  @Test
  void hugeUnknownFieldIsIgnored() {
    ObjectNode envelope = goodEnvelopeTree().put("padding", "p".repeat(UNDER_LIMIT));
    assertThat(decodeSafely(bytesOf(envelope), "huge unknown field"))
        .isInstanceOf(DecodedBatch.class);
  }

  @Test
  void hugeKidIsUnknownKeyWithAShortDetail() {
    DecodeResult result =
        decodeSafely(bytesOf(goodEnvelopeTree().put("kid", "k".repeat(UNDER_LIMIT))), "kid");
    assertThat(result).isInstanceOf(RejectedEnvelope.class);
    assertThat(((RejectedEnvelope) result).reason()).isEqualTo(RejectReason.UNKNOWN_KEY);
    assertThat(((RejectedEnvelope) result).detail()).hasSizeLessThan(100);
  }

  @Test
  void hugeDataAndIvAreDecryptFailed() {
    // Base64 makes 4 characters of 3 bytes: still under the record limit.
    byte[] noise = new byte[UNDER_LIMIT * 3 / 4 - 1024];
    new Random(5).nextBytes(noise);
    for (String field : new String[] {"data", "iv"}) {
      DecodeResult result =
          decodeSafely(bytesOf(goodEnvelopeTree().put(field, base64(noise))), field);
      assertThat(((RejectedEnvelope) result).reason()).isEqualTo(RejectReason.DECRYPT_FAILED);
    }
  }

  @Test
  void hugeNumbersAreBadEnvelopeNotFailures() {
    String envelope = new String(goodEnvelope(), java.nio.charset.StandardCharsets.UTF_8);
    String hugeVersion = envelope.replace("\"v\":1,", "\"v\":1" + "0".repeat(FIVE_MB) + ",");
    String hugeRecvTs =
        envelope.replaceFirst("\"recv_ts\":\\d+", "\"recv_ts\":9" + "9".repeat(FIVE_MB));
    for (String input : new String[] {hugeVersion, hugeRecvTs}) {
      DecodeResult result = decodeSafely(utf8(input), "huge number");
      assertThat(((RejectedEnvelope) result).reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
    }
  }

  @Test
  void aRecordOverTheLimitIsBadEnvelopeBeforeAnyParsing() {
    ObjectNode envelope = goodEnvelopeTree().put("src", "s".repeat(25 * 1024 * 1024));
    RejectedEnvelope result = (RejectedEnvelope) decodeSafely(bytesOf(envelope), "25 MB src");
    assertThat(result.reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
    assertThat(result.detail()).endsWith("exceeds the limit of 1048576");
  }

  @Test
  void aRecordOverTheLimitIsBadEnvelopeAlsoWhenTheExcessIsAnUnknownField() {
    ObjectNode envelope =
        goodEnvelopeTree().put("padding", "p".repeat(EnvelopeDecoder.MAX_RECORD_BYTES));
    RejectedEnvelope result =
        (RejectedEnvelope) decodeSafely(bytesOf(envelope), "1 MiB unknown field");
    assertThat(result.reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
  }

  @Test
  void deeplyNestedEnvelopeIsBadEnvelope() {
    String nested = "[".repeat(10_000) + "]".repeat(10_000);
    String envelope = new String(goodEnvelope(), java.nio.charset.StandardCharsets.UTF_8);
    String input = envelope.substring(0, envelope.length() - 1) + ",\"deep\":" + nested + "}";
    DecodeResult result = decodeSafely(utf8(input), "nested envelope");
    assertThat(((RejectedEnvelope) result).reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
    assertThat(decodeSafely(utf8("{".repeat(10_000)), "open braces"))
        .isInstanceOf(RejectedEnvelope.class);
  }

  @Test
  void deeplyNestedPlaintextIsBadPayload() {
    String nested = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
    String plaintext =
        "{\"app_key\":\"ak\",\"device_id\":\"d\",\"events\":[{\"type\":\"a\",\"ts\":1,\"x\":"
            + nested
            + "}]}";
    DecodeResult result = decodeSafely(envelopeOf(plaintext), "nested plaintext");
    assertThat(((RejectedEnvelope) result).reason()).isEqualTo(RejectReason.BAD_PAYLOAD);
  }

  @Test
  void hugeEventArrayIsBadPayload() {
    StringBuilder events = new StringBuilder();
    for (int i = 0; i < 100_000; i++) {
      events
          .append(i == 0 ? "" : ",")
          .append("{\"type\":\"t\",\"ts\":")
          .append(RECV_TS)
          .append('}');
    }
    String plaintext = "{\"app_key\":\"ak\",\"device_id\":\"d\",\"events\":[" + events + "]}";
    byte[] gzipped = encoder().gzip(utf8(plaintext));
    RejectedEnvelope result =
        (RejectedEnvelope) decodeSafely(envelopeOf(gzipped, true), "many events");
    assertThat(result.reason()).isEqualTo(RejectReason.BAD_PAYLOAD);
    assertThat(result.detail()).isEqualTo("more than 10000 events");
  }

  /** Decodes and checks the shape of the result; fails the test if the decoder throws. */
  private DecodeResult decodeSafely(byte[] input, String what) {
    DecodeResult result;
    try {
      result = decoder.decode(input);
    } catch (Throwable t) {
      throw new AssertionError("decoder threw for " + what, t);
    }
    assertWellFormed(result, what);
    return result;
  }

  private static void assertWellFormed(DecodeResult result, String what) {
    assertThat(result).as(what).isNotNull();
    if (result instanceof RejectedEnvelope rejected) {
      assertThat(rejected.reason()).as(what).isNotNull();
      assertThat(rejected.detail()).as(what).isNotNull().hasSizeLessThan(200);
      assertThat(rejected.detail()).as(what).doesNotContain("unexpected");
    } else {
      DecodedBatch batch = (DecodedBatch) result;
      assertThat(batch.deviceId()).as(what).isNotBlank();
      assertThat(batch.events().size() + batch.rejectedEvents().size()).as(what).isPositive();
    }
  }
}
