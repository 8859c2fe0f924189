package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.KEYRING;
import static dev.channelanalytics.common.contract.Fixtures.envelopeOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The limits of contract section 5: each exactly at the limit is accepted, one beyond rejected. */
class ContractLimitsTest {
  private final EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);

  private static String batch(String appKey, String deviceId, String channel, int events) {
    StringBuilder json = new StringBuilder("{\"app_key\":\"").append(appKey);
    json.append("\",\"device_id\":\"").append(deviceId).append("\",\"channel\":\"").append(channel);
    json.append("\",\"events\":[");
    for (int i = 0; i < events; i++) {
      json.append(i == 0 ? "" : ",").append("{\"type\":\"launch\",\"ts\":").append(i).append('}');
    }
    return json.append("]}").toString();
  }

  private RejectReason reasonOf(String plaintextJson) {
    DecodeResult r = decoder.decode(envelopeOf(plaintextJson));
    return r instanceof RejectedEnvelope rejected ? rejected.reason() : null;
  }

  @Test
  void aRecordOverOneMebibyteIsBadEnvelopeWhateverItHolds() {
    byte[] garbage = new byte[EnvelopeDecoder.MAX_RECORD_BYTES + 1];
    Arrays.fill(garbage, (byte) 'x');
    RejectedEnvelope r = (RejectedEnvelope) decoder.decode(garbage);
    assertThat(r.reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
    assertThat(r.detail()).contains("exceeds the limit of 1048576");
  }

  @Test
  void tenThousandEventsAreABatchOneMoreIsBadPayload() {
    DecodeResult atLimit = decoder.decode(envelopeOf(batch("ak", "d1", "c", 10_000)));
    assertThat(atLimit).isInstanceOf(DecodedBatch.class);
    assertThat(((DecodedBatch) atLimit).events()).hasSize(10_000);
    RejectedEnvelope over =
        (RejectedEnvelope) decoder.decode(envelopeOf(batch("ak", "d1", "c", 10_001)));
    assertThat(over.reason()).isEqualTo(RejectReason.BAD_PAYLOAD);
    assertThat(over.detail()).isEqualTo("more than 10000 events");
  }

  @Test
  void fieldsAreCountedInCharactersNotBytesOrUtf16Units() {
    // U+1F600 is two UTF-16 units and four UTF-8 bytes, but one character.
    String wide = "\uD83D\uDE00".repeat(128);
    assertThat(reasonOf(batch(wide, wide, wide, 1))).isNull();
    String ascii = "a".repeat(128);
    assertThat(reasonOf(batch(ascii, ascii, ascii, 1))).isNull();
  }

  @Test
  void anAppKeyOver128CharactersIsMissingAppKey() {
    assertThat(reasonOf(batch("a".repeat(129), "d1", "c", 1)))
        .isEqualTo(RejectReason.MISSING_APP_KEY);
  }

  @Test
  void aDeviceIdOver128CharactersAfterNormalisationIsInvalidDeviceId() {
    assertThat(reasonOf(batch("ak", "  " + "D".repeat(128) + "  ", "c", 1)))
        .as("trimmed first: 128 characters")
        .isNull();
    assertThat(reasonOf(batch("ak", "d".repeat(40_000), "c", 1)))
        .isEqualTo(RejectReason.INVALID_DEVICE_ID);
  }

  @Test
  void aChannelOver128CharactersAfterNormalisationIsBadPayload() {
    assertThat(reasonOf(batch("ak", "d1", " " + "C".repeat(128) + " ", 1))).isNull();
    assertThat(reasonOf(batch("ak", "d1", "c".repeat(600), 1))).isEqualTo(RejectReason.BAD_PAYLOAD);
  }

  @Test
  void aMappingWithAnEmptyOrOverlongAppKeyOrProductIdIsInvalid() {
    assertThat(
            ProductMapping.parseLine(
                    "{\"app_key\":\"ak\",\"product_id\":\"" + "p".repeat(128) + "\"}")
                .productId())
        .hasSize(128);
    assertThatThrownBy(
            () ->
                ProductMapping.parseLine(
                    "{\"app_key\":\"ak\",\"product_id\":\"" + "品".repeat(300) + "\"}"))
        .hasMessageContaining("product_id is longer than 128 characters");
    assertThatThrownBy(
            () ->
                ProductMapping.parseLine(
                    "{\"app_key\":\"" + "a".repeat(129) + "\",\"product_id\":\"p\"}"))
        .hasMessageContaining("app_key is longer than 128 characters");
    assertThatThrownBy(() -> ProductMapping.parseLine("{\"app_key\":\"\",\"product_id\":\"p\"}"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProductMapping.parseLine("{\"app_key\":\"ak\",\"product_id\":\"\"}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unpairedSurrogateEscapesAreInvalidValuesOfTheirFieldButPairedOnesAreCharacters() {
    String lone = "d\\uD800x";
    assertThat(reasonOf(batch("ak", lone, "c", 1))).isEqualTo(RejectReason.INVALID_DEVICE_ID);
    assertThat(reasonOf(batch("ak", "d\\uDC00", "c", 1))).isEqualTo(RejectReason.INVALID_DEVICE_ID);
    assertThat(reasonOf(batch("ak", "d1", lone, 1))).isEqualTo(RejectReason.BAD_PAYLOAD);
    assertThat(reasonOf(batch(lone, "d1", "c", 1))).isEqualTo(RejectReason.MISSING_APP_KEY);
    DecodedBatch paired =
        (DecodedBatch) decoder.decode(envelopeOf(batch("ak", "d\\uD83D\\uDE00", "c", 1)));
    assertThat(paired.deviceId()).isEqualTo("d\uD83D\uDE00");
    assertThatThrownBy(() -> new ProductMapping("ak", "p\uD800"))
        .hasMessageContaining("unpaired surrogate");
  }

  @Test
  void zeroWidthAndCombiningCharactersAreNeitherTrimmedNorFoldedSoTheyAreDistinctUsers() {
    // Trimming is of white space only; U+200B and U+0301 are not white space.
    DecodedBatch zeroWidth =
        (DecodedBatch) decoder.decode(envelopeOf(batch("ak", " \u200B\u200B ", "c", 1)));
    assertThat(zeroWidth.deviceId()).isEqualTo("\u200B\u200B");
    DecodedBatch combining =
        (DecodedBatch) decoder.decode(envelopeOf(batch("ak", "\u0301\u0301", "c", 1)));
    assertThat(combining.deviceId()).isEqualTo("\u0301\u0301");
    // No Unicode normalisation: a precomposed and a decomposed e-acute are two devices.
    DecodedBatch precomposed =
        (DecodedBatch) decoder.decode(envelopeOf(batch("ak", "\u00E9", "c", 1)));
    DecodedBatch decomposed =
        (DecodedBatch) decoder.decode(envelopeOf(batch("ak", "e\u0301", "c", 1)));
    assertThat(precomposed.deviceId()).isNotEqualTo(decomposed.deviceId());
  }
}
