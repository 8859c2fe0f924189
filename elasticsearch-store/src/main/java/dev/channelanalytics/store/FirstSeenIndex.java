package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.json.JsonData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.common.records.FirstSeenRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * How first-seen records are laid out in Elasticsearch: index names, mappings and the documents'
 * JSON (written and read here only), shared by the sharder that writes them, calibration that
 * repairs them and the jobs, tests and benchmarks that read them.
 *
 * <p>Each product has its own index, {@code <prefix><encoded product>}, all under the alias {@link
 * #alias}. Product ids are encoded because index names must be lower case and avoid a few
 * characters: {@code a-z 0-9 _ - .} stay, every other UTF-8 byte becomes {@code +} and two hex
 * digits, so two products never share an index ({@code Browser} is {@code +42rowser}); a name
 * longer than Elasticsearch allows is cut and ends in a digest of the product id ({@link
 * BoundedNames}).
 */
public final class FirstSeenIndex {
  /** The default prefix of per-product indices. */
  public static final String DEFAULT_PREFIX = "first-seen-";

  /** The first-seen document fields. */
  public static final String PRODUCT_ID = "product_id";

  public static final String DEVICE_ID = "device_id";
  public static final String T0 = "t0";
  public static final String MINUTE = "minute";
  public static final String CHANNEL = "channel";
  public static final String APP_KEY = "app_key";
  public static final String WRITTEN_AT = "written_at";

  /** The change-mark fields. */
  public static final String MINUTES = "minutes";

  public static final String CHANGED_AT = "changed_at";

  /**
   * The piece of work a mark is of (for example {@code batch|partition}): with the time and the
   * product it identifies a mark, so marks are read in an order where no two tie.
   */
  public static final String WORK = "work";

  /**
   * True on a mark written before its documents: not yet to be recomputed, because its documents
   * may not be searchable yet. The same work marks again, without it, once they are.
   */
  public static final String PENDING = "pending";

  /** The index of changed (product, minute) buckets, for the report calculator. */
  public static final String CHANGES_SUFFIX = "changes";

  private FirstSeenIndex() {}

  /** The body that creates a product's index: settings, strict mappings and the alias. */
  public static String productIndexBody(String prefix, int shards, int replicas) {
    return "{\"settings\":{\"number_of_shards\":"
        + shards
        + ",\"number_of_replicas\":"
        + replicas
        // Tombstones kept briefly: calibration replaces a sighting by a later one (which has a
        // lower version) by deleting it and writing once the tombstone is gone.
        + ",\"gc_deletes\":\"5s\""
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
        + "\"changed_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
        + "\"work\":{\"type\":\"keyword\"},"
        + "\"pending\":{\"type\":\"boolean\"}}}}";
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
    return BoundedNames.indexName(name.toString(), productId);
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
    return BoundedNames.id(256, deviceId);
  }

  /** The document of a first sighting, as stored; {@code writtenAt} is when it was written. */
  public static ObjectNode document(FirstSeenRecord r, long writtenAt) {
    ObjectNode doc = ElasticsearchConnection.JSON.createObjectNode();
    doc.put(PRODUCT_ID, r.productId())
        .put(DEVICE_ID, r.deviceId())
        .put(T0, r.t0())
        .put(MINUTE, r.minute())
        .put(CHANNEL, r.channel())
        .put(APP_KEY, r.appKey())
        .put(WRITTEN_AT, writtenAt);
    return doc;
  }

  /**
   * The first sighting a stored document holds.
   *
   * @throws IllegalStateException when a field is missing (a document this project did not write)
   */
  public static FirstSeenRecord record(JsonNode doc) {
    return new FirstSeenRecord(
        text(doc, PRODUCT_ID),
        text(doc, DEVICE_ID),
        field(doc, T0).asLong(),
        text(doc, CHANNEL),
        text(doc, APP_KEY));
  }

  /**
   * The document marking {@code minutes} of a product as changed at {@code changedAt} by {@code
   * work}.
   */
  public static ObjectNode changeMark(
      String productId, Collection<Long> minutes, long changedAt, String work, boolean pending) {
    ObjectNode doc = ElasticsearchConnection.JSON.createObjectNode();
    doc.put(PRODUCT_ID, productId);
    ArrayNode list = doc.putArray(MINUTES);
    minutes.forEach(list::add);
    doc.put(CHANGED_AT, changedAt);
    doc.put(WORK, work);
    doc.put(PENDING, pending);
    return doc;
  }

  /** The product of a change mark. */
  public static String markedProduct(JsonNode mark) {
    return text(mark, PRODUCT_ID);
  }

  /** The minutes (epoch ms) of a change mark. */
  public static List<Long> markedMinutes(JsonNode mark) {
    List<Long> out = new ArrayList<>();
    field(mark, MINUTES).forEach(m -> out.add(m.asLong()));
    return out;
  }

  /** The first sightings with t0 in [from, to); see {@link #range}. */
  public static Query t0Range(long from, long to) {
    return range(T0, from, to);
  }

  /**
   * Documents with the epoch-millisecond date {@code field} in [from, to); {@link Long#MIN_VALUE}
   * and {@link Long#MAX_VALUE} leave that end open (a date field cannot hold them).
   */
  public static Query range(String field, long from, long to) {
    return Query.of(
        q ->
            q.range(
                r ->
                    r.untyped(
                        u -> {
                          u.field(field);
                          if (from != Long.MIN_VALUE) {
                            u.gte(JsonData.of(from));
                          }
                          if (to != Long.MAX_VALUE) {
                            u.lt(JsonData.of(to));
                          }
                          return u;
                        })));
  }

  private static String text(JsonNode doc, String name) {
    return field(doc, name).asText();
  }

  private static JsonNode field(JsonNode doc, String name) {
    JsonNode v = doc.get(name);
    if (v == null || v.isNull()) {
      throw new IllegalStateException("stored document without " + name + ": " + abbreviate(doc));
    }
    return v;
  }

  private static String abbreviate(JsonNode doc) {
    String s = String.valueOf(doc);
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
