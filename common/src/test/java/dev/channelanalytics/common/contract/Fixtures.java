package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Keys, batches and envelopes shared by the contract tests. */
final class Fixtures {

  static final long RECV_TS = 1_795_428_012_345L;
  static final byte[] KEY_1 = key(1);
  static final byte[] KEY_2 = key(2);
  static final byte[] KEY_3 = key(3);
  static final Keyring KEYRING = Keyring.of(Map.of("k1", KEY_1, "k2", KEY_2, "k3", KEY_3));
  static final ObjectMapper JSON = new ObjectMapper();

  private Fixtures() {}

  /** {@code value} written with Java serialization and read back, as Flink and Spark ship it. */
  @SuppressWarnings("unchecked")
  static <T> T serializedCopy(T value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(value);
      }
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        return (T) in.readObject();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] key(int seed) {
    byte[] key = new byte[32];
    new Random(seed).nextBytes(key);
    return key;
  }

  static EnvelopeEncoder encoder() {
    return new EnvelopeEncoder(KEYRING, new Random(42));
  }

  static PlaintextBatch goodBatch() {
    return new PlaintextBatch(
        "ak_7f3a",
        "9F1C-ABCD",
        "huawei_store",
        "5.2.1",
        "android",
        List.of(
            new ClientEvent("launch", RECV_TS - 12_000),
            new ClientEvent("page_view", RECV_TS - 9_000)));
  }

  /**
   * An envelope around the given payload bytes, encrypted under k1; {@code zipGzip} only sets the
   * {@code zip} field, so a payload can claim gzip without being gzip.
   */
  static byte[] envelopeOf(byte[] payload, boolean zipGzip) {
    EnvelopeEncoder encoder = encoder();
    byte[] iv = encoder.newIv();
    return utf8(
        EnvelopeEncoder.envelopeJson(
            "collector-bj-03", "k1", RECV_TS, iv, encoder.encrypt("k1", payload, iv), zipGzip));
  }

  /** A valid envelope around the given plaintext JSON text. */
  static byte[] envelopeOf(String plaintextJson) {
    return envelopeOf(utf8(plaintextJson), false);
  }

  static byte[] goodEnvelope() {
    return encoder().encode("k1", "collector-bj-03", RECV_TS, goodBatch(), false);
  }

  /** A valid envelope as a mutable tree, to break one field at a time. */
  static ObjectNode goodEnvelopeTree() {
    try {
      return (ObjectNode) JSON.readTree(goodEnvelope());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytesOf(ObjectNode envelope) {
    try {
      return JSON.writeValueAsBytes(envelope);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] base64Decode(String text) {
    return Base64.getDecoder().decode(text);
  }

  static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
