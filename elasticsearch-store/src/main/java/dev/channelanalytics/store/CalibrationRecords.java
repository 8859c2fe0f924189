package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What each calibration (not a dry run, which writes nothing) found and did, per run, product and
 * hour of first-seen time, kept in Elasticsearch beside the reports ({@code
 * <reportIndex>_calibrations}): calibration writes the records, the report API serves them and the
 * dashboard shows the last one.
 */
public final class CalibrationRecords {
  /**
   * One product-hour of one calibration run.
   *
   * @param run the run's id (its start time and what started it)
   * @param product the product
   * @param hour the hour of first-seen time, epoch ms
   * @param offlineUsers users of the hour on the offline path
   * @param realTimeUsers users of the hour in the real-time store before repair
   * @param differing users the two paths disagreed on before repair
   * @param repaired first sightings written or removed
   * @param errorRate differing ÷ offline users (differing users when offline has none)
   * @param outcome {@code final} (proven and finalised) or {@code differs}
   * @param reason why the hour is not final; empty when it is
   * @param alert whether the error rate was above {@code calibration.alert-error-rate}
   * @param at when the hour was calibrated, epoch ms
   */
  public record HourRecord(
      String run,
      String product,
      long hour,
      long offlineUsers,
      long realTimeUsers,
      long differing,
      long repaired,
      double errorRate,
      String outcome,
      String reason,
      boolean alert,
      long at) {}

  // Replicas as the cluster says: its default, or the index template of
  // deploy/production/elasticsearch (one replica).
  private static final String MAPPING =
      "{\"settings\":{\"number_of_shards\":1},"
          + "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
          + "\"run\":{\"type\":\"keyword\"},"
          + "\"product_id\":{\"type\":\"keyword\"},"
          + "\"hour\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
          + "\"offline_users\":{\"type\":\"long\"},"
          + "\"real_time_users\":{\"type\":\"long\"},"
          + "\"differing\":{\"type\":\"long\"},"
          + "\"repaired\":{\"type\":\"long\"},"
          + "\"error_rate\":{\"type\":\"double\"},"
          + "\"outcome\":{\"type\":\"keyword\"},"
          + "\"reason\":{\"type\":\"keyword\",\"ignore_above\":1024},"
          + "\"alert\":{\"type\":\"boolean\"},"
          + "\"at\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}}}";

  private final ElasticsearchConnection es;
  private final String index;

  /** The calibration records of the report index {@code reportIndex}. */
  public CalibrationRecords(ElasticsearchConnection es, String reportIndex) {
    this.es = es;
    this.index = reportIndex + "_calibrations";
  }

  public void ensureIndex() {
    es.refuseAutoCreate(index + "*");
    es.createIndexIfAbsent(index, MAPPING);
  }

  /** Stores records; storing one again (same run, product and hour) replaces it. */
  public void store(List<HourRecord> records) {
    if (records.isEmpty()) {
      return;
    }
    ensureIndex();
    List<BulkOperation> ops = new ArrayList<>();
    for (HourRecord r : records) {
      ObjectNode doc =
          counts(r).put("product_id", r.product()).put("hour", r.hour()).put("at", r.at());
      String id = BoundedNames.id(r.run(), r.product(), Long.toString(r.hour()));
      ops.add(BulkOperation.of(b -> b.index(i -> i.index(index).id(id).document(doc))));
    }
    for (BulkResponseItem item :
        es.bulkRecreating("store calibration records", ops, this::ensureIndex).items()) {
      if (item.error() != null) {
        throw new IllegalStateException("calibration record refused: " + item.error());
      }
    }
    es.refresh(index);
  }

  /**
   * A record's findings as JSON fields (run, users, error rate, outcome, reason, alert), as stored
   * and as the report API serves them; the hour and time are added by each in its own form.
   */
  public static ObjectNode counts(HourRecord r) {
    return ElasticsearchConnection.JSON
        .createObjectNode()
        .put("run", r.run())
        .put("offline_users", r.offlineUsers())
        .put("real_time_users", r.realTimeUsers())
        .put("differing", r.differing())
        .put("repaired", r.repaired())
        .put("error_rate", r.errorRate())
        .put("outcome", r.outcome())
        .put("reason", r.reason())
        .put("alert", r.alert());
  }

  /**
   * The records of a product's hours in [from, to), by hour and then oldest run first; every
   * product's when {@code product} is null.
   */
  public List<HourRecord> of(String product, long from, long to) {
    if (!es.exists(index)) {
      return List.of();
    }
    List<Query> filter = new ArrayList<>();
    if (product != null) {
      filter.add(Query.of(q -> q.term(t -> t.field("product_id").value(FieldValue.of(product)))));
    }
    filter.add(FirstSeenIndex.range("hour", from, to));
    List<HourRecord> out = new ArrayList<>();
    SortedScan.forEach(
        es,
        index,
        Query.of(q -> q.bool(b -> b.filter(filter))),
        List.of("hour", "product_id", "at", "run"),
        true,
        hit -> out.add(record(hit.source())));
    return out;
  }

  private static HourRecord record(JsonNode s) {
    return new HourRecord(
        s.get("run").asText(),
        s.get("product_id").asText(),
        s.get("hour").asLong(),
        s.get("offline_users").asLong(),
        s.get("real_time_users").asLong(),
        s.get("differing").asLong(),
        s.get("repaired").asLong(),
        s.get("error_rate").asDouble(),
        s.get("outcome").asText(),
        s.get("reason").asText(),
        s.get("alert").asBoolean(),
        s.get("at").asLong());
  }
}
