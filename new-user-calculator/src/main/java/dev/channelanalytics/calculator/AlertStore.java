package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.json.JsonData;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.SortedScan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The channel anomaly alerts in Elasticsearch ({@code <report-index>_alerts}), one document per
 * alert under its id ({@link ChannelAlert#id}): an alert is created only if its id is new, so an
 * anomaly found again, after a recompute or a restart, is never a second alert, and its delivery
 * state is never reset. The pending alerts are also the webhook's queue ({@link AlertWebhook}).
 */
final class AlertStore {
  private final ElasticsearchConnection es;
  private final String index;

  AlertStore(ElasticsearchConnection es, String reportIndex) {
    this.es = es;
    this.index = reportIndex + "_alerts";
  }

  void ensureIndex() {
    es.refuseAutoCreate(index + "*");
    es.createIndexIfAbsent(index, ChannelAlert.MAPPING);
  }

  /**
   * Stores the alerts whose ids are new and makes them visible to searches; returns those (an alert
   * stored before keeps its document and is left out).
   */
  List<ChannelAlert> createNew(List<ChannelAlert> alerts) {
    if (alerts.isEmpty()) {
      return List.of();
    }
    List<BulkOperation> ops = new ArrayList<>();
    for (ChannelAlert a : alerts) {
      ObjectNode doc = a.document();
      ops.add(BulkOperation.of(b -> b.create(c -> c.index(index).id(a.id()).document(doc))));
    }
    BulkResponse r = es.bulkRecreating("store channel alerts", ops, this::ensureIndex);
    List<ChannelAlert> created = new ArrayList<>();
    for (int i = 0; i < alerts.size(); i++) {
      BulkResponseItem item = r.items().get(i);
      if (item.error() == null) {
        created.add(alerts.get(i));
      } else if (item.status() != 409) { // 409: the alert exists
        throw new IllegalStateException("channel alert refused: " + item.error());
      }
    }
    es.refresh(index);
    return created;
  }

  /** Replaces a stored alert by {@code alert} (its new delivery state). */
  void update(ChannelAlert alert) {
    ObjectNode doc = alert.document();
    es.call("update channel alert", c -> c.index(i -> i.index(index).id(alert.id()).document(doc)));
  }

  /** Up to {@code max} alerts waiting for the webhook, the one due first first. */
  List<ChannelAlert> pending(int max) {
    if (!es.exists(index)) {
      return List.of();
    }
    es.refresh(index);
    var r =
        es.call(
            "read pending channel alerts",
            c ->
                ElasticsearchConnection.complete(
                    "read pending channel alerts",
                    c.search(
                        s ->
                            s.index(index)
                                .size(max)
                                .query(
                                    q ->
                                        q.term(
                                            t ->
                                                t.field("delivery")
                                                    .value(FieldValue.of(ChannelAlert.PENDING))))
                                .sort(
                                    o ->
                                        o.field(
                                            f -> f.field("next_attempt_at").order(SortOrder.Asc))),
                        ObjectNode.class)));
    List<ChannelAlert> out = new ArrayList<>();
    r.hits().hits().forEach(h -> out.add(ChannelAlert.of(h.source())));
    return out;
  }

  /**
   * The alerts of {@code product} whose window starts in [from, to), by window start, window,
   * channel and kind; stops at more than {@code limit}.
   *
   * @throws ReportStore.TooManyRows when there are more than {@code limit}
   */
  List<ChannelAlert> of(String product, long from, long to, int limit) {
    Query query =
        Query.of(
            q ->
                q.bool(
                    b ->
                        b.filter(f -> f.term(t -> t.field("product").value(FieldValue.of(product))))
                            .filter(
                                f ->
                                    f.range(
                                        x ->
                                            x.untyped(
                                                u ->
                                                    u.field("from").gte(iso(from)).lt(iso(to)))))));
    List<ChannelAlert> out = new ArrayList<>();
    SortedScan.forEach(
        es,
        index,
        query,
        List.of("from", "window", "channel", "kind"),
        true,
        hit -> {
          ReportStore.TooManyRows.check(out.size() + 1, limit);
          out.add(ChannelAlert.of(hit.source()));
        });
    return out;
  }

  private static JsonData iso(long epochMillis) {
    return JsonData.of(Instant.ofEpochMilli(epochMillis).toString());
  }
}
