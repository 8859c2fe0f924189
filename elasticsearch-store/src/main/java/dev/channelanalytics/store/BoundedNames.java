package dev.channelanalytics.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Elasticsearch's name limits, kept in one place: a document id is at most {@link #MAX_ID_BYTES},
 * an index name at most {@link #MAX_INDEX_BYTES}. Ids built from contract identifiers (a product
 * and a channel of 128 CJK characters are 768 bytes of UTF-8) would otherwise be refused, and one
 * refused row would stop a job for every product.
 */
public final class BoundedNames {
  /** Elasticsearch refuses longer document ids. */
  public static final int MAX_ID_BYTES = 512;

  /** Elasticsearch refuses longer index names. */
  public static final int MAX_INDEX_BYTES = 255;

  private static final String HASHED = "sha256:";

  private BoundedNames() {}

  /**
   * The id of parts joined by {@code |}: the joined text when it fits in {@code maxBytes}, else
   * {@code sha256:} and the hex digest of that text (the same parts always give the same id).
   */
  public static String id(int maxBytes, String... parts) {
    String joined = String.join("|", parts);
    byte[] utf8 = joined.getBytes(StandardCharsets.UTF_8);
    return utf8.length <= maxBytes ? joined : HASHED + sha256Hex(utf8);
  }

  /** {@link #id(int, String...)} within Elasticsearch's limit. */
  public static String id(String... parts) {
    return id(MAX_ID_BYTES, parts);
  }

  /**
   * An index name of ASCII characters: itself when it fits, else its start cut at a whole {@code
   * +xx} escape and {@code ~} with the digest of {@code original} ({@code ~} never occurs in an
   * encoded name, so a cut name cannot be another product's).
   *
   * @param encoded the full name, ASCII
   * @param original what the name was encoded from
   */
  static String indexName(String encoded, String original) {
    if (encoded.length() <= MAX_INDEX_BYTES) {
      return encoded;
    }
    String digest = sha256Hex(original.getBytes(StandardCharsets.UTF_8));
    int keep = MAX_INDEX_BYTES - digest.length() - 1;
    // Never cut inside an escape: back up to its '+'.
    for (int i = Math.max(0, keep - 2); i < keep; i++) {
      if (encoded.charAt(i) == '+') {
        keep = i;
        break;
      }
    }
    return encoded.substring(0, keep) + "~" + digest;
  }

  private static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
