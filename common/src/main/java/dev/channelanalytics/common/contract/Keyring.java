package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 keys by key id ({@code kid}) that envelopes are encrypted with; several are live at
 * once while keys rotate.
 *
 * <p>Serializable so that decoders can be shipped to Flink and Spark tasks. Key material never
 * appears in {@link #toString()} or in an exception message: errors name the kid and the problem
 * only.
 */
public final class Keyring implements Serializable {

  private static final long serialVersionUID = 1L;

  /** AES-256. */
  static final int KEY_BYTES = 32;

  private static final String AES = "AES";

  /** Sorted by kid, so that {@link #toString()} and {@link #keyIds()} are stable. */
  private final TreeMap<String, SecretKeySpec> keys;

  private Keyring(TreeMap<String, SecretKeySpec> keys) {
    this.keys = keys;
  }

  /**
   * Reads a keyring from a JSON object of kid to standard-base64 32-byte key, for example {@code
   * {"k1":"base64...","k2":"base64..."}}.
   *
   * @throws IllegalArgumentException naming the kid and the problem, never the key text
   */
  public static Keyring fromJson(String json) {
    if (json == null) {
      throw new IllegalArgumentException("keyring JSON is null");
    }
    JsonNode root;
    try {
      root = ContractJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      // Neither the message nor the cause is kept: both may quote the key text.
      throw new IllegalArgumentException(
          "keyring is not valid JSON"
              + (e.getLocation() == null
                  ? ""
                  : " (line "
                      + e.getLocation().getLineNr()
                      + ", column "
                      + e.getLocation().getColumnNr()
                      + ")"));
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          "keyring must be a JSON object of kid to base64 key, was "
              + (root == null ? "empty" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    Map<String, byte[]> decoded = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String kid = entry.getKey();
      if (!entry.getValue().isTextual()) {
        throw new IllegalArgumentException("key " + kid + " must be a base64 string");
      }
      try {
        decoded.put(kid, Base64.getDecoder().decode(entry.getValue().textValue()));
      } catch (IllegalArgumentException e) {
        // The decoder's message names the offending character of the key.
        throw new IllegalArgumentException("key " + kid + " is not valid standard base64");
      }
    }
    return of(decoded);
  }

  /**
   * Creates {@code file} with one fresh random AES-256 key per kid, readable by its owner only
   * ({@link dev.channelanalytics.common.security.SecretFiles}); an existing file is left as it is.
   *
   * @return true when the file was created
   */
  public static boolean createFile(Path file, String... kids) {
    java.security.SecureRandom random = new java.security.SecureRandom();
    com.fasterxml.jackson.databind.node.ObjectNode keys = ContractJson.MAPPER.createObjectNode();
    for (String kid : kids) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      keys.put(kid, Base64.getEncoder().encodeToString(key));
    }
    return dev.channelanalytics.common.security.SecretFiles.create(file, keys + "\n");
  }

  /**
   * Reads a keyring file holding the JSON of {@link #fromJson(String)}.
   *
   * @throws IllegalArgumentException when the file cannot be read or is not a valid keyring
   */
  public static Keyring load(Path file) {
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read keyring file " + file + ": " + e.getClass().getSimpleName(), e);
    }
    try {
      return fromJson(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("keyring file " + file + ": " + e.getMessage());
    }
  }

  /**
   * A keyring of raw 32-byte keys by kid; the arrays are copied.
   *
   * @throws IllegalArgumentException for no keys, a blank kid or a key that is not 32 bytes
   */
  public static Keyring of(Map<String, byte[]> keys) {
    if (keys == null || keys.isEmpty()) {
      throw new IllegalArgumentException("keyring has no keys");
    }
    TreeMap<String, SecretKeySpec> specs = new TreeMap<>();
    for (Map.Entry<String, byte[]> entry : keys.entrySet()) {
      String kid = entry.getKey();
      if (kid == null || kid.isBlank()) {
        throw new IllegalArgumentException("kid must not be blank");
      }
      byte[] key = entry.getValue();
      if (key == null) {
        throw new IllegalArgumentException("key " + kid + " is missing");
      }
      if (key.length != KEY_BYTES) {
        throw new IllegalArgumentException(
            "key " + kid + " is " + key.length + " bytes, expected " + KEY_BYTES);
      }
      specs.put(kid, new SecretKeySpec(key, AES));
    }
    return new Keyring(specs);
  }

  /** Whether the keyring holds a key with this id. */
  public boolean contains(String kid) {
    return kid != null && keys.containsKey(kid);
  }

  /** The key ids, sorted. */
  public Set<String> keyIds() {
    return Collections.unmodifiableSet(keys.keySet());
  }

  /**
   * The AES key for a kid; package-private so that key material stays inside the contract code.
   *
   * @throws IllegalArgumentException when the kid is unknown
   */
  SecretKeySpec key(String kid) {
    SecretKeySpec key = keyOrNull(kid);
    if (key == null) {
      throw new IllegalArgumentException("unknown key " + kid);
    }
    return key;
  }

  /** The AES key for a kid, or null; the decoder's lookup, which must not throw. */
  SecretKeySpec keyOrNull(String kid) {
    return kid == null ? null : keys.get(kid);
  }

  @Override
  public String toString() {
    return "Keyring" + keys.keySet();
  }

  /** Validates what a stream claims to be a keyring, as the factory methods do. */
  private Object readResolve() throws ObjectStreamException {
    Map<String, byte[]> raw = new LinkedHashMap<>();
    if (keys != null) {
      keys.forEach((kid, spec) -> raw.put(kid, spec == null ? null : spec.getEncoded()));
    }
    try {
      return of(raw);
    } catch (IllegalArgumentException e) {
      throw new InvalidObjectException(e.getMessage());
    }
  }
}
