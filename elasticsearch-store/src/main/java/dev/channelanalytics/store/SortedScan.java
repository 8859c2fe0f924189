package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOptions;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;

/**
 * Every document of an index that matches a query, in the order of fields that together identify a
 * document, page by page with {@code search_after}, so a scan of a million documents holds one page
 * at a time. A missing index has no documents.
 */
public final class SortedScan {
  /** Documents per request. */
  public static final int PAGE = 5_000;

  private SortedScan() {}

  /**
   * Calls {@code each} with every matching hit, ascending by {@code sortFields}; the fields must
   * identify a document, or documents that tie on a page's last key are skipped.
   */
  public static void forEach(
      ElasticsearchConnection es,
      String index,
      Query query,
      List<String> sortFields,
      boolean withSource,
      Consumer<Hit<ObjectNode>> each) {
    iterator(es, index, query, sortFields, withSource).forEachRemaining(each);
  }

  /**
   * The matching hits as {@link #forEach} visits them, fetched a page at a time as the caller
   * advances, so two scans can be merged without holding either.
   */
  public static Iterator<Hit<ObjectNode>> iterator(
      ElasticsearchConnection es,
      String index,
      Query query,
      List<String> sortFields,
      boolean withSource) {
    List<SortOptions> sort = new ArrayList<>();
    for (String f : sortFields) {
      sort.add(SortOptions.of(o -> o.field(x -> x.field(f).order(SortOrder.Asc))));
    }
    return new Iterator<>() {
      private List<Hit<ObjectNode>> page = List.of();
      private int next;
      private boolean last;
      private List<FieldValue> after;

      @Override
      public boolean hasNext() {
        if (next < page.size()) {
          return true;
        }
        if (last) {
          return false;
        }
        List<FieldValue> from = after;
        SearchResponse<ObjectNode> r =
            es.call(
                "scan " + index,
                c ->
                    ElasticsearchConnection.complete(
                        "scan " + index,
                        c.search(
                            s -> {
                              s.index(index)
                                  .ignoreUnavailable(true)
                                  .allowNoIndices(true)
                                  .size(PAGE)
                                  .source(src -> src.fetch(withSource))
                                  .query(query)
                                  .sort(sort);
                              return from == null ? s : s.searchAfter(from);
                            },
                            ObjectNode.class)));
        page = r.hits().hits();
        next = 0;
        last = page.size() < PAGE;
        if (!page.isEmpty()) {
          after = page.get(page.size() - 1).sort();
        }
        return !page.isEmpty();
      }

      @Override
      public Hit<ObjectNode> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return page.get(next++);
      }
    };
  }
}
