package dev.channelanalytics.common.records;

import java.nio.charset.StandardCharsets;

/**
 * How first-seen records are laid out in Elasticsearch, shared by the sharder that writes them and
 * the jobs that read them.
 *
 * <p>Each product has its own index, {@code <prefix><encoded product>}, all under the alias {@link
 * #alias}. Product ids are encoded because index names must be lower case and avoid a few
 * characters: {@code a-z 0-9 _ - .} stay, every other UTF-8 byte becomes {@code +} and two hex
 * digits, so two products never share an index ({@code Browser} is {@code +42rowser}).
 */
public final class FirstSeenIndex {
  /** The default prefix of per-product indices. */
  public static final String DEFAULT_PREFIX = "first-seen-";

  /** The index of changed (product, minute) buckets, for the report calculator. */
  public static final String CHANGES_SUFFIX = "changes";

  private FirstSeenIndex() {}

  /** The body that creates a product's index: settings, strict mappings and the alias. */
  public static String productIndexBody(String prefix, int shards, int replicas) {
    return "{\"settings\":{\"number_of_shards\":"
        + shards
        + ",\"number_of_replicas\":"
        + replicas
        + "},\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
        + "\"product_id\":{\"type\":\"keyword\"},"
        + "\"device_id\":{\"type\":\"keyword\"},"
        + "\"t0\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
        + "\"minute\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
        + "\"channel\":{\"type\":\"keyword\"},"
        + "\"app_key\":{\"type\":\"keyword\"},"
        + "\"written_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}},"
        + "\"aliases\":{\""
        + alias(prefix)
        + "\":{}}}";
  }

  /** The body that creates the index of changed-bucket marks. */
  public static String changesIndexBody(int replicas) {
    return "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":"
        + replicas
        + "},\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
        + "\"product_id\":{\"type\":\"keyword\"},"
        + "\"minutes\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
        + "\"changed_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}}}";
  }

  /** The index of one product. */
  public static String indexOf(String prefix, String productId) {
    StringBuilder name = new StringBuilder(prefix);
    for (byte b : productId.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.') {
        name.append((char) c);
      } else {
        name.append('+')
            .append(Character.forDigit(c >> 4, 16))
            .append(Character.forDigit(c & 15, 16));
      }
    }
    return name.toString();
  }

  /** The alias over every product's index: {@code first-seen} for the default prefix. */
  public static String alias(String prefix) {
    return prefix.endsWith("-") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }

  /** The index recording which buckets changed; no product index can have its name. */
  public static String changesIndex(String prefix) {
    return alias(prefix) + "_" + CHANGES_SUFFIX;
  }

  /**
   * The document id of a device in its product's index: the device id itself when it is short
   * enough, else a SHA-256 of it (Elasticsearch ids are at most 512 bytes).
   */
  public static String documentId(String deviceId) {
    byte[] utf8 = deviceId.getBytes(StandardCharsets.UTF_8);
    if (utf8.length <= 256) {
      return deviceId;
    }
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(utf8);
      return "sha256:" + java.util.HexFormat.of().formatHex(digest);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
