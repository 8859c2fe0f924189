package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Builds envelopes as a log collector does, the inverse of {@link EnvelopeDecoder}, for the
 * simulator and for tests; its lower-level steps are public so that deliberately broken envelopes
 * can be crafted too.
 *
 * <p>IVs come from the given {@link Random}: a seeded {@code Random} makes the output repeatable
 * for tests, production use passes a {@link java.security.SecureRandom}. Thread-safe as far as the
 * {@code Random} is.
 */
public final class EnvelopeEncoder {

  private static final int TAG_BITS = EnvelopeDecoder.TAG_BYTES * 8;

  private final Keyring keyring;
  private final Random ivSource;

  /** An encoder for the keyring's keys, drawing IVs from {@code ivSource}. */
  public EnvelopeEncoder(Keyring keyring, Random ivSource) {
    if (keyring == null || ivSource == null) {
      throw new IllegalArgumentException("keyring and ivSource are required");
    }
    this.keyring = keyring;
    this.ivSource = ivSource;
  }

  /**
   * A complete envelope for a batch: JSON, optionally gzip, encrypt under {@code kid} with a fresh
   * IV, wrap.
   *
   * @return the envelope as UTF-8 JSON
   * @throws IllegalArgumentException when the kid is not in the keyring
   */
  public byte[] encode(String kid, String src, long recvTs, PlaintextBatch batch, boolean gzip) {
    byte[] plaintext = batch.toJson();
    if (gzip) {
      plaintext = gzip(plaintext);
    }
    byte[] iv = newIv();
    byte[] data = encrypt(kid, plaintext, iv);
    return envelopeJson(src, kid, recvTs, iv, data, gzip).getBytes(StandardCharsets.UTF_8);
  }

  /** A fresh 12-byte GCM nonce from the IV source. */
  public byte[] newIv() {
    byte[] iv = new byte[EnvelopeDecoder.IV_BYTES];
    ivSource.nextBytes(iv);
    return iv;
  }

  /**
   * AES-256-GCM without AAD under the key {@code kid}.
   *
   * @param iv the nonce; any length the JDK accepts, so that wrong lengths can be crafted
   * @return the ciphertext with the 16-byte tag appended
   * @throws IllegalArgumentException when the kid is not in the keyring
   */
  public byte[] encrypt(String kid, byte[] plaintext, byte[] iv) {
    try {
      // A new Cipher per call: a reused one refuses to encrypt twice with the same key and IV,
      // which tests crafting inputs legitimately do.
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, keyring.key(kid), new GCMParameterSpec(TAG_BITS, iv));
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed: " + e.getClass().getName(), e);
    }
  }

  /** Gzip as {@link GZIPOutputStream} writes it (one member, zero MTIME, so repeatable). */
  public byte[] gzip(byte[] plaintext) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(plaintext.length / 2 + 32);
    try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
      zip.write(plaintext);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The envelope JSON of contract section 2 for already encrypted data; {@code zip} is written only
   * when {@code gzip} is true.
   */
  public static String envelopeJson(
      String src, String kid, long recvTs, byte[] iv, byte[] data, boolean gzip) {
    StringWriter out = new StringWriter(64 + data.length * 4 / 3);
    try (JsonGenerator json = ContractJson.FACTORY.createGenerator(out)) {
      json.writeStartObject();
      json.writeNumberField("v", 1);
      json.writeStringField("src", src);
      json.writeStringField("kid", kid);
      json.writeNumberField("recv_ts", recvTs);
      json.writeStringField("iv", Base64.getEncoder().encodeToString(iv));
      json.writeStringField("data", Base64.getEncoder().encodeToString(data));
      if (gzip) {
        json.writeStringField("zip", "gzip");
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
