package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.KEYRING;
import static dev.channelanalytics.common.contract.Fixtures.RECV_TS;
import static dev.channelanalytics.common.contract.Fixtures.base64;
import static dev.channelanalytics.common.contract.Fixtures.base64Decode;
import static dev.channelanalytics.common.contract.Fixtures.bytesOf;
import static dev.channelanalytics.common.contract.Fixtures.encoder;
import static dev.channelanalytics.common.contract.Fixtures.envelopeOf;
import static dev.channelanalytics.common.contract.Fixtures.goodEnvelope;
import static dev.channelanalytics.common.contract.Fixtures.goodEnvelopeTree;
import static dev.channelanalytics.common.contract.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeDecoderTest {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final EnvelopeDecoder decoder = new EnvelopeDecoder(KEYRING);

  // ---- one crafted input per reason code ----------------------------------------------------

  @Test
  void goodEnvelopeDecodesToNormalisedBatch() {
    DecodedBatch batch = decodeBatch(goodEnvelope());

    assertThat(batch.src()).isEqualTo("collector-bj-03");
    assertThat(batch.kid()).isEqualTo("k1");
    assertThat(batch.recvTs()).isEqualTo(RECV_TS);
    assertThat(batch.appKey()).isEqualTo("ak_7f3a");
    assertThat(batch.deviceId()).isEqualTo("9f1c-abcd");
    assertThat(batch.channel()).isEqualTo("huawei_store");
    assertThat(batch.appVersion()).isEqualTo("5.2.1");
    assertThat(batch.os()).isEqualTo("android");
    assertThat(batch.events())
        .containsExactly(
            new DecodedEvent(0, "launch", RECV_TS - 12_000, true),
            new DecodedEvent(1, "page_view", RECV_TS - 9_000, true));
    assertThat(batch.rejectedEvents()).isEmpty();
  }

  @Test
  void notJsonIsBadEnvelope() {
    assertRejected(utf8("hello"), RejectReason.BAD_ENVELOPE);
  }

  @Test
  void kidNotInKeyringIsUnknownKey() {
    ObjectNode envelope = goodEnvelopeTree().put("kid", "k9");
    RejectedEnvelope rejected = assertRejected(bytesOf(envelope), RejectReason.UNKNOWN_KEY);
    assertThat(rejected.detail()).contains("k9");
  }

  @Test
  void unknownKidDetailIsShortAndOnOneLine() {
    ObjectNode envelope = goodEnvelopeTree().put("kid", "k\n9" + "x".repeat(100));
    RejectedEnvelope rejected = assertRejected(bytesOf(envelope), RejectReason.UNKNOWN_KEY);
    assertThat(rejected.detail()).startsWith("unknown kid k?9xxx").endsWith("...(103 chars)");
  }

  @Test
  void bitFlippedTagIsDecryptFailed() {
    ObjectNode envelope = goodEnvelopeTree();
    byte[] data = base64Decode(envelope.get("data").textValue());
    data[data.length - 1] ^= 1;
    envelope.put("data", base64(data));
    RejectedEnvelope rejected = assertRejected(bytesOf(envelope), RejectReason.DECRYPT_FAILED);
    assertThat(rejected.detail()).isEqualTo("GCM tag mismatch");
  }

  @Test
  void plaintextThatIsNotAnObjectIsBadPayload() {
    assertRejected(envelopeOf("[1,2,3]"), RejectReason.BAD_PAYLOAD);
  }

  @Test
  void missingAppKeyIsMissingAppKey() {
    assertRejected(
        envelopeOf("{\"device_id\":\"d1\",\"events\":[{\"type\":\"launch\",\"ts\":1}]}"),
        RejectReason.MISSING_APP_KEY);
  }

  @Test
  void placeholderDeviceIdIsInvalidDeviceId() {
    assertRejected(
        envelopeOf(
            "{\"app_key\":\"ak\",\"device_id\":\"unknown\",\"events\":[{\"type\":\"a\",\"ts\":1}]}"),
        RejectReason.INVALID_DEVICE_ID);
  }

  @Test
  void eventWithoutNumericTsIsBadEvent() {
    DecodedBatch batch =
        decodeBatch(
            envelopeOf(
                "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[{\"type\":\"a\",\"ts\":\"1\"}]}"));
    assertThat(batch.events()).isEmpty();
    assertThat(batch.rejectedEvents())
        .containsExactly(
            new RejectedEvent(0, RejectReason.BAD_EVENT, "{\"type\":\"a\",\"ts\":\"1\"}"));
  }

  // ---- bad_envelope in detail ---------------------------------------------------------------

  @Test
  void nullInputIsBadEnvelope() {
    assertThat(decoder.decode((byte[]) null))
        .isEqualTo(new RejectedEnvelope(RejectReason.BAD_ENVELOPE, "no input"));
    assertThat(decoder.decode((String) null))
        .isEqualTo(new RejectedEnvelope(RejectReason.BAD_ENVELOPE, "no input"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "   ", "[]", "\"text\"", "1", "null", "{", "{\"v\":1", "{} {}", "{}x"})
  void emptyNonObjectOrBrokenJsonIsBadEnvelope(String input) {
    assertRejected(utf8(input), RejectReason.BAD_ENVELOPE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"v", "src", "kid", "recv_ts", "iv", "data"})
  void missingRequiredFieldIsBadEnvelope(String field) {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.remove(field);
    RejectedEnvelope rejected = assertRejected(bytesOf(envelope), RejectReason.BAD_ENVELOPE);
    assertThat(rejected.detail()).isEqualTo("missing field " + field);
  }

  static Stream<Arguments> wrongTypes() {
    return Stream.of(
        Arguments.of("v", NODES.textNode("1")),
        Arguments.of("v", NODES.numberNode(1.0)),
        Arguments.of("v", NODES.numberNode(2)),
        Arguments.of("v", NODES.booleanNode(true)),
        Arguments.of("v", NODES.nullNode()),
        Arguments.of("src", NODES.numberNode(3)),
        Arguments.of("src", NODES.nullNode()),
        Arguments.of("kid", NODES.numberNode(1)),
        Arguments.of("kid", NODES.arrayNode().add("k1")),
        Arguments.of("recv_ts", NODES.textNode("1795428012345")),
        Arguments.of("recv_ts", NODES.numberNode(1795428012345.0)),
        Arguments.of("recv_ts", NODES.numberNode(new java.math.BigInteger("9223372036854775808"))),
        Arguments.of("recv_ts", NODES.nullNode()),
        Arguments.of("iv", NODES.numberNode(12)),
        Arguments.of("iv", NODES.objectNode()),
        Arguments.of("data", NODES.nullNode()),
        Arguments.of("data", NODES.booleanNode(false)),
        Arguments.of("zip", NODES.numberNode(1)),
        Arguments.of("zip", NODES.booleanNode(true)),
        Arguments.of("zip", NODES.objectNode().put("a", "gzip")));
  }

  @ParameterizedTest
  @MethodSource("wrongTypes")
  void requiredFieldOfWrongTypeIsBadEnvelope(String field, Object value) {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.set(field, (com.fasterxml.jackson.databind.JsonNode) value);
    RejectedEnvelope rejected = assertRejected(bytesOf(envelope), RejectReason.BAD_ENVELOPE);
    assertThat(rejected.detail()).startsWith(field);
  }

  @Test
  void versionTwoIsBadEnvelope() {
    RejectedEnvelope rejected =
        assertRejected(bytesOf(goodEnvelopeTree().put("v", 2)), RejectReason.BAD_ENVELOPE);
    assertThat(rejected.detail()).isEqualTo("v must be 1, was 2");
  }

  @Test
  void versionOnePointZeroIsBadEnvelope() {
    String envelope = new String(goodEnvelope(), java.nio.charset.StandardCharsets.UTF_8);
    String withFloat = envelope.replace("\"v\":1,", "\"v\":1.0,");
    assertThat(withFloat).isNotEqualTo(envelope);
    RejectedEnvelope rejected = assertRejected(utf8(withFloat), RejectReason.BAD_ENVELOPE);
    assertThat(rejected.detail()).isEqualTo("v must be the integer 1, was 1.0");
  }

  @Test
  void badEnvelopeIsReportedBeforeUnknownKeyAndDecryptFailure() {
    ObjectNode envelope = goodEnvelopeTree().put("kid", "k9").put("data", "***");
    envelope.remove("src");
    assertRejected(bytesOf(envelope), RejectReason.BAD_ENVELOPE);
  }

  @Test
  void unknownKeyIsReportedBeforeBadBase64() {
    assertRejected(
        bytesOf(goodEnvelopeTree().put("kid", "k9").put("data", "***")), RejectReason.UNKNOWN_KEY);
  }

  @Test
  void invalidUtf8EnvelopeIsBadEnvelope() {
    byte[] envelope = goodEnvelope();
    byte[] broken = new byte[envelope.length + 2];
    System.arraycopy(envelope, 0, broken, 0, envelope.length - 1);
    // An unknown field whose string holds a lone continuation byte, which Jackson would skip.
    byte[] tail = {',', '"', 'x', '"', ':', '"', (byte) 0x80, '"', '}'};
    broken = java.util.Arrays.copyOf(broken, envelope.length - 1 + tail.length);
    System.arraycopy(tail, 0, broken, envelope.length - 1, tail.length);
    assertRejected(broken, RejectReason.BAD_ENVELOPE);
  }

  @Test
  void utf16EnvelopeIsBadEnvelope() {
    String envelope = new String(goodEnvelope(), java.nio.charset.StandardCharsets.UTF_8);
    assertRejected(
        envelope.getBytes(java.nio.charset.StandardCharsets.UTF_16LE), RejectReason.BAD_ENVELOPE);
  }

  @Test
  void unknownEnvelopeFieldsAreIgnored() {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.put("extra", "x");
    envelope.set("nested", NODES.objectNode().set("deep", NODES.arrayNode().add(1).add("two")));
    assertThat(decoder.decode(bytesOf(envelope))).isInstanceOf(DecodedBatch.class);
  }

  @Test
  void decodesStringInputLikeBytes() {
    String envelope = new String(goodEnvelope(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(decoder.decode(envelope)).isEqualTo(decoder.decode(goodEnvelope()));
  }

  // ---- zip ------------------------------------------------------------------------------------

  @Test
  void gzipPayloadRoundTrips() {
    byte[] envelope = encoder().encode("k2", "c", RECV_TS, Fixtures.goodBatch(), true);
    assertThat(new String(envelope, java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"zip\":\"gzip\"");
    DecodedBatch batch = decodeBatch(envelope);
    assertThat(batch.kid()).isEqualTo("k2");
    assertThat(batch.events()).hasSize(2);
  }

  @Test
  void corruptGzipIsBadPayload() {
    byte[] gzipped = encoder().gzip(Fixtures.goodBatch().toJson());
    gzipped[gzipped.length / 2] ^= 0x55;
    RejectedEnvelope rejected = assertRejected(envelopeOf(gzipped, true), RejectReason.BAD_PAYLOAD);
    assertThat(rejected.detail()).startsWith("gunzip failed");
  }

  @Test
  void plainPayloadMarkedGzipIsBadPayload() {
    assertRejected(envelopeOf(Fixtures.goodBatch().toJson(), true), RejectReason.BAD_PAYLOAD);
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "GZIP", "deflate", ""})
  void otherZipValueMeansUncompressed(String zip) {
    ObjectNode envelope = goodEnvelopeTree().put("zip", zip);
    assertThat(decoder.decode(bytesOf(envelope))).isInstanceOf(DecodedBatch.class);
  }

  @Test
  void nullZipMeansUncompressed() {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.putNull("zip");
    assertThat(decoder.decode(bytesOf(envelope))).isInstanceOf(DecodedBatch.class);
  }

  @Test
  void gzipBombIsBadPayloadTooLarge() {
    byte[] zeros = new byte[EnvelopeDecoder.MAX_INFLATED_BYTES + 1];
    byte[] gzipped = encoder().gzip(zeros);
    RejectedEnvelope rejected = assertRejected(envelopeOf(gzipped, true), RejectReason.BAD_PAYLOAD);
    assertThat(rejected.detail()).contains("too large");
  }

  // ---- decrypt_failed in detail ---------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"iv", "data"})
  void invalidBase64IsDecryptFailed(String field) {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.put(field, envelope.get(field).textValue().substring(1) + "!");
    assertRejected(bytesOf(envelope), RejectReason.DECRYPT_FAILED);
  }

  @Test
  void base64WithNonAsciiCharacterIsDecryptFailed() {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.put("iv", "AAAAAAAAAAAAAAé=");
    assertRejected(bytesOf(envelope), RejectReason.DECRYPT_FAILED);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 8, 11, 13, 16})
  void wrongLengthIvIsDecryptFailed(int length) {
    ObjectNode envelope = goodEnvelopeTree().put("iv", base64(new byte[length]));
    RejectedEnvelope rejected = assertRejected(bytesOf(envelope), RejectReason.DECRYPT_FAILED);
    assertThat(rejected.detail()).isEqualTo("iv must be 12 bytes, was " + length);
  }

  @Test
  void dataShorterThanTagIsDecryptFailed() {
    ObjectNode envelope = goodEnvelopeTree().put("data", base64(new byte[15]));
    assertRejected(bytesOf(envelope), RejectReason.DECRYPT_FAILED);
  }

  @Test
  void wrongKeyIsDecryptFailed() {
    assertRejected(bytesOf(goodEnvelopeTree().put("kid", "k2")), RejectReason.DECRYPT_FAILED);
  }

  @Test
  void otherIvIsDecryptFailed() {
    ObjectNode envelope = goodEnvelopeTree();
    byte[] iv = base64Decode(envelope.get("iv").textValue());
    iv[0] ^= 1;
    assertRejected(bytesOf(envelope.put("iv", base64(iv))), RejectReason.DECRYPT_FAILED);
  }

  @Test
  void base64WithJsonEscapesIsDecodedFromTheUnescapedText() {
    ObjectNode tree = goodEnvelopeTree();
    String data = tree.get("data").textValue();
    String iv = tree.get("iv").textValue();
    String envelope = new String(bytesOf(tree), java.nio.charset.StandardCharsets.UTF_8);
    String escaped =
        envelope
            .replace(data, data.replace("/", "\\/").replace("A", "\\u0041"))
            .replace(iv, iv.replace("A", "\\u0041"));
    assertThat(escaped).contains("\\u0041");
    assertThat(decoder.decode(utf8(escaped))).isEqualTo(decoder.decode(bytesOf(tree)));
  }

  @Test
  void unpaddedBase64IsAcceptedAsJavaBase64DecoderDoes() {
    ObjectNode envelope = goodEnvelopeTree();
    envelope.put("data", envelope.get("data").textValue().replace("=", ""));
    assertThat(decoder.decode(bytesOf(envelope))).isInstanceOf(DecodedBatch.class);
  }

  // ---- bad_payload in detail -------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "\"a string\"",
        "{\"app_key\":\"ak\",\"device_id\":\"d1\"}",
        "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[]}",
        "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":{\"type\":\"a\",\"ts\":1}}",
        "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":null}",
        "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[{\"type\":\"a\",\"ts\":1}]",
        "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[{\"type\":\"a\",\"ts\":1}]} x"
      })
  void plaintextWithoutUsableEventsIsBadPayload(String plaintext) {
    assertRejected(envelopeOf(plaintext), RejectReason.BAD_PAYLOAD);
  }

  @Test
  void emptyEventsIsBadPayloadEvenWithoutAppKey() {
    RejectedEnvelope rejected =
        assertRejected(envelopeOf("{\"events\":[]}"), RejectReason.BAD_PAYLOAD);
    assertThat(rejected.detail()).isEqualTo("events is empty");
  }

  @Test
  void eventsNotAnArrayIsBadPayload() {
    RejectedEnvelope rejected =
        assertRejected(
            envelopeOf("{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":\"launch\"}"),
            RejectReason.BAD_PAYLOAD);
    assertThat(rejected.detail()).isEqualTo("events must be an array, was a string");
  }

  @Test
  void invalidUtf8PlaintextIsBadPayload() {
    byte[] plaintext = utf8("{\"app_key\":\"ak\",\"device_id\":\"d1\",\"x\":\"?\",\"events\":[]}");
    plaintext[plaintext.length - 16] = (byte) 0xc0;
    assertRejected(envelopeOf(plaintext, false), RejectReason.BAD_PAYLOAD);
  }

  @Test
  void badPayloadDetailNeverQuotesThePlaintext() {
    RejectedEnvelope rejected =
        assertRejected(envelopeOf("{\"app_key\":\"secret-value\" oops}"), RejectReason.BAD_PAYLOAD);
    assertThat(rejected.detail()).doesNotContain("secret").doesNotContain("oops");
  }

  // ---- missing_app_key and invalid_device_id in detail ------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "\"app_key\":null,",
        "\"app_key\":7,",
        "\"app_key\":\"\",",
        "\"app_key\":\" \\t \","
      })
  void absentNonStringOrBlankAppKeyIsMissingAppKey(String appKeyField) {
    assertRejected(
        envelopeOf(
            "{" + appKeyField + "\"device_id\":\"d1\",\"events\":[{\"type\":\"a\",\"ts\":1}]}"),
        RejectReason.MISSING_APP_KEY);
  }

  @Test
  void appKeyIsKeptExactlyAsSent() {
    DecodedBatch batch =
        decodeBatch(
            envelopeOf(
                "{\"app_key\":\" AK_Mixed \",\"device_id\":\"d1\",\"events\":[{\"type\":\"a\",\"ts\":1}]}"));
    assertThat(batch.appKey()).isEqualTo(" AK_Mixed ");
  }

  @Test
  void missingAppKeyIsReportedBeforeInvalidDeviceId() {
    assertRejected(
        envelopeOf("{\"device_id\":\"0\",\"events\":[{\"type\":\"a\",\"ts\":1}]}"),
        RejectReason.MISSING_APP_KEY);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "\"device_id\":null,",
        "\"device_id\":42,",
        "\"device_id\":\"  \",",
        "\"device_id\":\"unknown\",",
        "\"device_id\":\" NULL \",",
        "\"device_id\":\"000-000\",",
        "\"device_id\":\"0\",",
        "\"device_id\":\"-\","
      })
  void absentBlankOrPlaceholderDeviceIdIsInvalidDeviceId(String deviceIdField) {
    RejectedEnvelope rejected =
        assertRejected(
            envelopeOf(
                "{\"app_key\":\"ak\"," + deviceIdField + "\"events\":[{\"type\":\"a\",\"ts\":1}]}"),
            RejectReason.INVALID_DEVICE_ID);
    assertThat(rejected.detail()).doesNotContain("NULL").doesNotContain("000");
  }

  @Test
  void channelIsNormalisedAndDefaultsToOrganic() {
    assertThat(
            decodeBatch(envelopeOf(plaintextWithChannel("\"channel\":\" Huawei_Store \",")))
                .channel())
        .isEqualTo("huawei_store");
    assertThat(decodeBatch(envelopeOf(plaintextWithChannel(""))).channel()).isEqualTo("organic");
    assertThat(decodeBatch(envelopeOf(plaintextWithChannel("\"channel\":\"  \","))).channel())
        .isEqualTo("organic");
    assertThat(decodeBatch(envelopeOf(plaintextWithChannel("\"channel\":5,"))).channel())
        .isEqualTo("organic");
    assertThat(decodeBatch(envelopeOf(plaintextWithChannel("\"channel\":null,"))).channel())
        .isEqualTo("organic");
  }

  @Test
  void optionalFieldsAreNullWhenAbsentOrNotStrings() {
    DecodedBatch batch =
        decodeBatch(envelopeOf(plaintextWithChannel("\"app_version\":5,\"os\":{\"name\":\"x\"},")));
    assertThat(batch.appVersion()).isNull();
    assertThat(batch.os()).isNull();
  }

  // ---- events ---------------------------------------------------------------------------------

  @Test
  void oneGoodAndOneBadEventGiveBatchWithOneRejectedEvent() {
    DecodedBatch batch =
        decodeBatch(
            envelopeOf(
                "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":["
                    + "{\"type\":\"launch\",\"ts\":"
                    + RECV_TS
                    + "}, {\"ts\":"
                    + RECV_TS
                    + "}]}"));
    assertThat(batch.events()).containsExactly(new DecodedEvent(0, "launch", RECV_TS, true));
    assertThat(batch.rejectedEvents())
        .containsExactly(new RejectedEvent(1, RejectReason.BAD_EVENT, "{\"ts\":" + RECV_TS + "}"));
  }

  @Test
  void everyKindOfBadEventIsRejectedWithItsOriginalText() {
    String[] bad = {
      "17",
      "\"launch\"",
      "null",
      "true",
      "[1, 2]",
      "{}",
      "{\"type\":\"a\"}",
      "{\"ts\":5}",
      "{\"type\":\"a\",\"ts\":null}",
      "{\"type\":\"a\",\"ts\":\"5\"}",
      "{\"type\":\"a\",\"ts\":[5]}",
      "{\"type\":7,\"ts\":5}",
      "{\"type\":null,\"ts\":5}",
      "{ \"type\" : { } , \"ts\" : 5 }",
      "-1.5e3",
      "{\"type\":\"a\",\"ts\":5,\"ts\":\"late duplicate wins\"}"
    };
    String plaintext =
        "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[ " + String.join(" ,\n", bad) + " ]}";
    DecodedBatch batch = decodeBatch(envelopeOf(plaintext));

    assertThat(batch.events()).isEmpty();
    assertThat(batch.rejectedEvents()).hasSize(bad.length);
    for (int i = 0; i < bad.length; i++) {
      assertThat(batch.rejectedEvents().get(i))
          .isEqualTo(new RejectedEvent(i, RejectReason.BAD_EVENT, bad[i]));
    }
  }

  @Test
  void eventsKeepTheirArrayIndexAndUnknownEventFieldsAreIgnored() {
    DecodedBatch batch =
        decodeBatch(
            envelopeOf(
                "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[\"bad\","
                    + "{\"type\":\"a\",\"ts\":1,\"extra\":{\"x\":[1,2]}},{\"type\":\"\",\"ts\":2}]}"));
    assertThat(batch.events())
        .extracting(DecodedEvent::index, DecodedEvent::type)
        .containsExactly(
            org.assertj.core.api.Assertions.tuple(1, "a"),
            org.assertj.core.api.Assertions.tuple(2, ""));
    assertThat(batch.rejectedEvents()).extracting(RejectedEvent::index).containsExactly(0);
  }

  @Test
  void unknownPlaintextFieldsAreIgnored() {
    DecodedBatch batch =
        decodeBatch(
            envelopeOf(
                "{\"sdk\":{\"name\":\"x\",\"v\":[1,{}]},\"app_key\":\"ak\",\"device_id\":\"d1\","
                    + "\"events\":[{\"type\":\"a\",\"ts\":1}],\"tail\":null}"));
    assertThat(batch.events()).hasSize(1);
  }

  @Test
  void eventTimesAreClampedToTheReceiveWindow() {
    long tooEarly = RECV_TS - Normalisation.MAX_CLIENT_LAG_MS - 1;
    long latest = RECV_TS + Normalisation.MAX_CLIENT_LEAD_MS;
    DecodedBatch batch =
        decodeBatch(
            envelopeOf(
                "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":["
                    + "{\"type\":\"a\",\"ts\":"
                    + tooEarly
                    + "},"
                    + "{\"type\":\"b\",\"ts\":"
                    + latest
                    + "},"
                    + "{\"type\":\"c\",\"ts\":"
                    + (latest + 1)
                    + "},"
                    + "{\"type\":\"d\",\"ts\":"
                    + (RECV_TS - 1)
                    + ".75},"
                    + "{\"type\":\"e\",\"ts\":"
                    + latest
                    + ".5},"
                    + "{\"type\":\"f\",\"ts\":99999999999999999999999},"
                    + "{\"type\":\"g\",\"ts\":1.795428012345E12},"
                    + "{\"type\":\"h\",\"ts\":1"
                    + "0".repeat(5000)
                    + "}"
                    + "]}"));
    assertThat(batch.events())
        .containsExactly(
            new DecodedEvent(0, "a", RECV_TS, false),
            new DecodedEvent(1, "b", latest, true),
            new DecodedEvent(2, "c", RECV_TS, false),
            new DecodedEvent(3, "d", RECV_TS - 1, true),
            new DecodedEvent(4, "e", RECV_TS, false),
            new DecodedEvent(5, "f", RECV_TS, false),
            new DecodedEvent(6, "g", RECV_TS, true),
            new DecodedEvent(7, "h", RECV_TS, false));
  }

  // ---- reuse and serialization ------------------------------------------------------------------

  @Test
  void oneDecoderDecodesManyEnvelopesAfterFailures() {
    EnvelopeEncoder encoder = encoder();
    for (int i = 0; i < 50; i++) {
      byte[] envelope =
          encoder.encode("k" + (1 + i % 3), "c", RECV_TS, Fixtures.goodBatch(), i % 2 == 0);
      assertThat(decoder.decode(envelope)).isInstanceOf(DecodedBatch.class);
      assertThat(decoder.decode(bytesOf(goodEnvelopeTree().put("kid", "k2"))))
          .isInstanceOf(RejectedEnvelope.class);
    }
  }

  @Test
  void serializedDecoderStillDecodes() {
    decoder.decode(goodEnvelope());
    EnvelopeDecoder copy = Fixtures.serializedCopy(decoder);
    assertThat(copy.decode(goodEnvelope())).isEqualTo(decoder.decode(goodEnvelope()));
  }

  @Test
  void resultsAreSerializable() {
    DecodeResult batch =
        decoder.decode(
            envelopeOf(
                "{\"app_key\":\"ak\",\"device_id\":\"d1\",\"events\":[{\"type\":\"a\",\"ts\":1},7]}"));
    DecodeResult rejected = decoder.decode("x");
    for (DecodeResult result : List.of(batch, rejected)) {
      assertThat(Fixtures.serializedCopy(result)).isEqualTo(result);
    }
  }

  @Test
  void decoderOfAnotherKeyringRejectsAsUnknownKey() {
    EnvelopeDecoder other = new EnvelopeDecoder(Keyring.of(Map.of("other", Fixtures.key(9))));
    assertThat(other.decode(goodEnvelope()))
        .isEqualTo(new RejectedEnvelope(RejectReason.UNKNOWN_KEY, "unknown kid k1"));
  }

  // ---- helpers
  // ------------------------------------------------------------------------------------

  private static String plaintextWithChannel(String channelField) {
    return "{\"app_key\":\"ak\",\"device_id\":\"d1\","
        + channelField
        + "\"events\":[{\"type\":\"a\",\"ts\":1}]}";
  }

  private DecodedBatch decodeBatch(byte[] envelope) {
    DecodeResult result = decoder.decode(envelope);
    assertThat(result).isInstanceOf(DecodedBatch.class);
    return (DecodedBatch) result;
  }

  private RejectedEnvelope assertRejected(byte[] envelope, RejectReason reason) {
    DecodeResult result = decoder.decode(envelope);
    assertThat(result).isInstanceOf(RejectedEnvelope.class);
    RejectedEnvelope rejected = (RejectedEnvelope) result;
    assertThat(rejected.reason()).as(rejected.detail()).isEqualTo(reason);
    return rejected;
  }
}
