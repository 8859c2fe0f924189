package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.aggregations.Aggregate;
import co.elastic.clients.elasticsearch._types.aggregations.CompositeAggregationSource;
import co.elastic.clients.elasticsearch._types.aggregations.CompositeBucket;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Every bucket of a composite aggregation, page by page, so thousands of channels are counted
 * exactly and no page is larger than {@link #PAGE} buckets. A missing index has no buckets.
 */
public final class CompositePages {
  /** Buckets per request. */
  public static final int PAGE = 1_000;

  private static final String NAME = "pages";
  private static final String SUM = "sum";

  private CompositePages() {}

  /**
   * Calls {@code each} with the key and document count of every bucket of {@code sources} over the
   * documents of {@code index} that match {@code query}, in the aggregation's key order.
   */
  public static void forEach(
      ElasticsearchConnection es,
      String index,
      Query query,
      List<Map<String, CompositeAggregationSource>> sources,
      BiConsumer<Map<String, FieldValue>, Long> each) {
    forEachSum(es, index, query, sources, null, each);
  }

  /**
   * Calls {@code each} with the key of every bucket, as {@link #forEach(ElasticsearchConnection,
   * String, Query, List, BiConsumer)} does, and the sum of the whole-number field {@code field}
   * over its documents (their count when {@code field} is null).
   */
  public static void forEachSum(
      ElasticsearchConnection es,
      String index,
      Query query,
      List<Map<String, CompositeAggregationSource>> sources,
      String field,
      BiConsumer<Map<String, FieldValue>, Long> each) {
    Map<String, FieldValue> after = null;
    while (true) {
      Map<String, FieldValue> from = after;
      SearchResponse<Void> r =
          es.call(
              "aggregate " + index,
              c ->
                  ElasticsearchConnection.complete(
                      "aggregate " + index,
                      c.search(
                          s ->
                              s.index(index)
                                  .ignoreUnavailable(true)
                                  .allowNoIndices(true)
                                  .size(0)
                                  .query(query)
                                  .aggregations(
                                      NAME,
                                      a -> {
                                        var composite =
                                            a.composite(
                                                cp -> {
                                                  cp.size(PAGE).sources(sources);
                                                  return from == null ? cp : cp.after(from);
                                                });
                                        return field == null
                                            ? composite
                                            : composite.aggregations(
                                                SUM, m -> m.sum(f -> f.field(field)));
                                      }),
                          Void.class)));
      Aggregate agg = r.aggregations().get(NAME);
      if (agg == null) {
        return;
      }
      List<CompositeBucket> buckets = agg.composite().buckets().array();
      for (CompositeBucket b : buckets) {
        // A sum of whole numbers below 2^53 is exact in the double Elasticsearch returns.
        each.accept(
            b.key(),
            field == null ? b.docCount() : Math.round(b.aggregations().get(SUM).sum().value()));
      }
      after = agg.composite().afterKey();
      if (buckets.size() < PAGE || after == null || after.isEmpty()) {
        return;
      }
    }
  }

  /** A terms source on a keyword field. */
  public static Map<String, CompositeAggregationSource> terms(String name, String field) {
    return Map.of(name, CompositeAggregationSource.of(s -> s.terms(t -> t.field(field))));
  }
}
