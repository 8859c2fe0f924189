package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.VersionType;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.mget.MultiGetResponseItem;
import co.elastic.clients.elasticsearch.core.search.Hit;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.common.records.FirstSeenRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first-seen documents and the changed-bucket marks in Elasticsearch: per-product indices
 * created on first sight, reads by id, version-guarded writes, marks, and sorted scans.
 *
 * <p>Writes use external versioning ({@link FirstSeenRecord#externalVersion}), so a later sighting
 * can never overwrite an earlier one, whoever writes it (the sharder, calibration, a replay) and in
 * whatever order; a 409 conflict means an earlier sighting is already stored. Items Elasticsearch
 * refuses for back pressure are sent again by the connection's {@link RetryPolicy}.
 */
public final class FirstSeenStore {
  private static final Logger LOG = LoggerFactory.getLogger(FirstSeenStore.class);

  /**
   * Documents per {@code _bulk} or {@code _mget}: large enough to amortise a request, small enough
   * for a small heap's circuit breaker.
   */
  public static final int MAX_BULK_ITEMS = 5_000;

  /** The outcome of one version-guarded write. */
  public enum WriteResult {
    WRITTEN,
    /** Elasticsearch already holds an earlier sighting: not an error, nothing changed. */
    CONFLICT
  }

  /**
   * One planned write: the record, and whether a tie on t0 must overwrite (the stored sighting has
   * the same t0 and loses the contract's tie rule).
   */
  public record Write(FirstSeenRecord record, boolean sameT0Overwrite) {}

  private final ElasticsearchConnection es;
  private final String prefix;
  private final int shards;
  private final int replicas;

  /** Indices known to exist: creation is checked once per product. */
  private final Set<String> knownIndices = ConcurrentHashMap.newKeySet();

  public FirstSeenStore(ElasticsearchConnection es, String prefix, int shards, int replicas) {
    this.es = es;
    this.prefix = prefix;
    this.shards = shards;
    this.replicas = replicas;
  }

  public ElasticsearchConnection connection() {
    return es;
  }

  public String prefix() {
    return prefix;
  }

  public String indexOf(String productId) {
    return FirstSeenIndex.indexOf(prefix, productId);
  }

  /** The alias over every product's index. */
  /** Makes every acknowledged write to a product's index searchable now. */
  public void refresh(String productId) {
    es.refresh(indexOf(productId));
  }

  public String alias() {
    return FirstSeenIndex.alias(prefix);
  }

  public String changesIndex() {
    return FirstSeenIndex.changesIndex(prefix);
  }

  /** Creates a product's index with explicit mappings and the alias, unless it exists. */
  public void ensureProductIndex(String productId) {
    ensure(indexOf(productId), FirstSeenIndex.productIndexBody(prefix, shards, replicas));
  }

  /**
   * Creates the index of changed buckets, unless it exists; one made before marks named their work
   * gets the field.
   */
  public void ensureChangesIndex() {
    String index = changesIndex();
    if (knownIndices.contains(index)) {
      return;
    }
    refuseAutoCreate();
    if (!es.createIndexIfAbsent(index, FirstSeenIndex.changesIndexBody(replicas))) {
      es.call(
          "map " + index,
          c ->
              c.indices()
                  .putMapping(
                      m ->
                          m.index(index)
                              .properties(FirstSeenIndex.WORK, p -> p.keyword(k -> k))
                              .properties(FirstSeenIndex.PENDING, p -> p.boolean_(x -> x))));
    }
    knownIndices.add(index);
  }

  private void ensure(String index, String body) {
    if (knownIndices.contains(index)) {
      return;
    }
    refuseAutoCreate();
    es.createIndexIfAbsent(index, body);
    knownIndices.add(index);
  }

  private void refuseAutoCreate() {
    es.refuseAutoCreate(FirstSeenIndex.alias(prefix) + "*");
  }

  /** Forgets that {@code index} exists (it was deleted), so the next ensure creates it again. */
  private void forget(String index) {
    knownIndices.remove(index);
  }

  /**
   * The stored records of {@code deviceIds} in one product's index; absent ids are left out, and so
   * is everything when the index does not exist. Documents Elasticsearch cannot read yet (a shard
   * not started, as just after the index was created) are asked for again by the retry policy.
   */
  public Map<String, FirstSeenRecord> get(String productId, List<String> deviceIds) {
    Map<String, FirstSeenRecord> out = new HashMap<>();
    String index = indexOf(productId);
    for (int from = 0; from < deviceIds.size(); from += MAX_BULK_ITEMS) {
      List<String> pending = new ArrayList<>();
      for (String device :
          deviceIds.subList(from, Math.min(deviceIds.size(), from + MAX_BULK_ITEMS))) {
        pending.add(FirstSeenIndex.documentId(device));
      }
      RetryPolicy.Backoff backoff = es.retry().backoff();
      while (!pending.isEmpty()) {
        List<String> ids = pending;
        List<MultiGetResponseItem<ObjectNode>> docs =
            es.call("mget " + index, c -> c.mget(m -> m.index(index).ids(ids), ObjectNode.class))
                .docs();
        List<String> retry = new ArrayList<>();
        String reason = null;
        for (int i = 0; i < docs.size(); i++) {
          MultiGetResponseItem<ObjectNode> doc = docs.get(i);
          if (doc.isFailure()) {
            String type = doc.failure().error().type();
            if ("index_not_found_exception".equals(type)) {
              continue;
            }
            retry.add(ids.get(i));
            reason = type + ": " + doc.failure().error().reason();
          } else if (doc.result().found()) {
            FirstSeenRecord r = FirstSeenIndex.record(doc.result().source());
            out.put(r.deviceId(), r);
          }
        }
        if (!retry.isEmpty()) {
          LOG.warn(
              "Elasticsearch could not read {} of {} documents of {} ({}); retrying",
              retry.size(),
              ids.size(),
              index,
              reason);
          backoff.pause("mget " + index, new IllegalStateException(reason));
        }
        pending = retry;
      }
    }
    return out;
  }

  /**
   * Writes records with external versioning, in bulks of at most {@link #MAX_BULK_ITEMS}; one
   * result per write, in order. The products' indices must exist ({@link #ensureProductIndex}).
   */
  public List<WriteResult> write(List<Write> writes, long writtenAt) {
    List<WriteResult> results = new ArrayList<>(writes.size());
    for (int from = 0; from < writes.size(); from += MAX_BULK_ITEMS) {
      results.addAll(
          writeChunk(
              writes.subList(from, Math.min(writes.size(), from + MAX_BULK_ITEMS)), writtenAt));
    }
    return results;
  }

  private List<WriteResult> writeChunk(List<Write> writes, long writtenAt) {
    WriteResult[] results = new WriteResult[writes.size()];
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < writes.size(); i++) {
      pending.add(i);
    }
    RetryPolicy.Backoff backoff = es.retry().backoff();
    while (!pending.isEmpty()) {
      List<BulkOperation> ops = new ArrayList<>(pending.size());
      for (int i : pending) {
        ops.add(versionedIndex(writes.get(i), writtenAt));
      }
      List<BulkResponseItem> items = bulk("write first-seen documents", ops).items();
      List<Integer> retry = new ArrayList<>();
      for (int k = 0; k < pending.size(); k++) {
        BulkResponseItem item = items.get(k);
        int i = pending.get(k);
        if (item.status() == 200 || item.status() == 201) {
          results[i] = WriteResult.WRITTEN;
        } else if (item.status() == 409) {
          results[i] = WriteResult.CONFLICT;
        } else if (ElasticsearchConnection.indexGone(item)) {
          // Deleted under us: created again, with its mappings and alias, and written again.
          String product = writes.get(i).record().productId();
          forget(indexOf(product));
          ensureProductIndex(product);
          retry.add(i);
        } else if (RetryPolicy.retriable(item.status())) {
          retry.add(i);
        } else {
          throw new IllegalStateException(
              "Elasticsearch refused a first-seen document: " + item.error());
        }
      }
      if (!retry.isEmpty()) {
        LOG.warn(
            "Elasticsearch pushed back on {} of {} writes; retrying", retry.size(), pending.size());
        backoff.pause("first-seen writes", null);
      }
      pending = retry;
    }
    return List.of(results);
  }

  private BulkOperation versionedIndex(Write w, long writtenAt) {
    FirstSeenRecord r = w.record();
    return BulkOperation.of(
        b ->
            b.index(
                i ->
                    i.index(indexOf(r.productId()))
                        .id(FirstSeenIndex.documentId(r.deviceId()))
                        .version(r.externalVersion())
                        // A tie on t0 shares the version; it is overwritten only when the rule
                        // says so.
                        .versionType(
                            w.sameT0Overwrite() ? VersionType.ExternalGte : VersionType.External)
                        .document(FirstSeenIndex.document(r, writtenAt))));
  }

  /**
   * Deletes stored first sightings (for a repair the offline path proves: a user it does not have),
   * each only while it is still the sighting given: the delete carries its version, so a sighting
   * written since, which can only be earlier, is kept. Elasticsearch keeps a deleted document's
   * version for {@code index.gc_deletes} (60 s by default); as the delete does not raise it, the
   * same sighting can be written back at once (external_gte). Returns how many were deleted; absent
   * ones are no error.
   */
  public long delete(List<FirstSeenRecord> stored) {
    long deleted = 0;
    for (int from = 0; from < stored.size(); from += MAX_BULK_ITEMS) {
      List<BulkOperation> ops = new ArrayList<>();
      for (FirstSeenRecord r :
          stored.subList(from, Math.min(stored.size(), from + MAX_BULK_ITEMS))) {
        ops.add(
            BulkOperation.of(
                b ->
                    b.delete(
                        d ->
                            d.index(indexOf(r.productId()))
                                .id(FirstSeenIndex.documentId(r.deviceId()))
                                .version(r.externalVersion())
                                .versionType(VersionType.ExternalGte))));
      }
      for (BulkResponseItem item : bulk("delete first-seen documents", ops).items()) {
        if (item.status() == 200) {
          deleted++;
        } else if (item.error() != null && item.status() != 404 && item.status() != 409) {
          throw new IllegalStateException(
              "Elasticsearch refused to delete a first-seen document: " + item.error());
        }
      }
    }
    return deleted;
  }

  /**
   * Replaces stored first sightings by later ones the offline path proves ({@code stored} are
   * deleted, then {@code proven} written; a proven sighting may also be held up by the tombstone of
   * a sighting deleted before): versions fall as t0 rises, so a later sighting can only be written
   * once the earlier one is deleted and its tombstone is gone ({@code index.gc_deletes}, a few
   * seconds on the indices this store creates). Each delete holds only while the sighting is still
   * the one given; each write is tried again, after a refresh, while only a tombstone is in its
   * way, for at most {@code timeout}. Returns how many were written; one beaten meanwhile by an
   * earlier sighting is not, and is no error.
   */
  public long replace(
      List<FirstSeenRecord> stored,
      List<FirstSeenRecord> proven,
      long writtenAt,
      java.time.Duration timeout) {
    delete(stored);
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Write> pending = new ArrayList<>();
    proven.forEach(r -> pending.add(new Write(r, true)));
    long written = 0;
    while (!pending.isEmpty()) {
      List<WriteResult> results = write(pending, writtenAt);
      Map<String, List<Write>> conflicted = new HashMap<>();
      for (int i = 0; i < results.size(); i++) {
        if (results.get(i) == WriteResult.WRITTEN) {
          written++;
        } else {
          Write w = pending.get(i);
          conflicted.computeIfAbsent(w.record().productId(), p -> new ArrayList<>()).add(w);
        }
      }
      // A conflict is a tombstone not yet collected, or an earlier sighting written since.
      List<Write> waiting = new ArrayList<>();
      conflicted.forEach(
          (product, writes) -> {
            Map<String, FirstSeenRecord> now =
                get(product, writes.stream().map(w -> w.record().deviceId()).toList());
            writes.stream()
                .filter(w -> !now.containsKey(w.record().deviceId()))
                .forEach(waiting::add);
          });
      if (!waiting.isEmpty() && System.nanoTime() > deadline) {
        LOG.warn(
            "{} first sightings could not replace a deleted one within {}; the next calibration"
                + " tries again",
            waiting.size(),
            timeout);
        break;
      }
      if (!waiting.isEmpty()) {
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        waiting.stream().map(w -> indexOf(w.record().productId())).distinct().forEach(es::refresh);
      }
      pending.clear();
      pending.addAll(waiting);
    }
    return written;
  }

  /**
   * Marks (product, minute) buckets as changed: one document per product for this piece of work,
   * with every minute it moved, so a batch costs a handful of documents, not one per minute. The id
   * names the work (for example {@code product|batch|partition}), so work done again overwrites its
   * marks. Call it once the documents are written: the calculator may recompute from it at once.
   */
  public void markChanged(
      Map<String, ? extends Collection<Long>> minutesByProduct, long changedAt, String work) {
    mark(minutesByProduct, changedAt, work, false);
  }

  /**
   * Marks buckets as about to change, before their documents are written, so that a writer that
   * dies in between leaves a trace: the calculator leaves the mark alone until {@link #markChanged}
   * with the same work replaces it, or until it is older than the calculator allows for a write
   * (then the work died, and recomputing is harmless).
   */
  public void markPending(
      Map<String, ? extends Collection<Long>> minutesByProduct, long at, String work) {
    mark(minutesByProduct, at, work, true);
  }

  private void mark(
      Map<String, ? extends Collection<Long>> minutesByProduct,
      long changedAt,
      String work,
      boolean pending) {
    if (minutesByProduct.isEmpty()) {
      return;
    }
    ensureChangesIndex();
    List<BulkOperation> ops = new ArrayList<>();
    minutesByProduct.forEach(
        (product, minutes) ->
            ops.add(
                BulkOperation.of(
                    b ->
                        b.index(
                            i ->
                                i.index(changesIndex())
                                    .id(BoundedNames.id(product, work))
                                    .document(
                                        FirstSeenIndex.changeMark(
                                            product, minutes, changedAt, work, pending))))));
    RetryPolicy.Backoff backoff = es.retry().backoff();
    while (true) {
      BulkResponse r = bulk("mark changed buckets", ops);
      if (!r.errors()) {
        return;
      }
      for (BulkResponseItem item : r.items()) {
        if (ElasticsearchConnection.indexGone(item)) {
          forget(changesIndex());
          ensureChangesIndex();
        } else if (item.error() != null && !RetryPolicy.retriable(item.status())) {
          throw new IllegalStateException("Elasticsearch refused a change mark: " + item.error());
        }
      }
      LOG.warn("Elasticsearch pushed back on changed-bucket marks; retrying");
      backoff.pause("changed-bucket marks", null);
    }
  }

  /**
   * A mark as the calculator reads it: what it marked, and the version of the mark it read, so that
   * consuming it never removes a mark written again since.
   */
  public record ChangeMark(
      String id, String product, List<Long> minutes, long seqNo, long primaryTerm) {}

  /**
   * Up to {@code limit} marks to recompute, oldest first, after a refresh: every mark that is not
   * pending, and pending ones stamped before {@code pendingBefore} (work that died between its mark
   * and its documents). Nothing depends on when a mark becomes searchable: a mark stays until
   * {@link #consume}d, so one that shows up late is read by a later run.
   */
  public List<ChangeMark> marksToRecompute(int limit, long pendingBefore) {
    ensureChangesIndex();
    String index = changesIndex();
    es.refresh(index);
    Query freshPending =
        Query.of(
            q ->
                q.bool(
                    b ->
                        b.filter(
                            Query.of(
                                t ->
                                    t.term(
                                        x ->
                                            x.field(FirstSeenIndex.PENDING)
                                                .value(FieldValue.of(true)))),
                            FirstSeenIndex.range(
                                FirstSeenIndex.CHANGED_AT, pendingBefore, Long.MAX_VALUE))));
    SearchResponse<ObjectNode> r =
        es.call(
            "read change marks",
            c ->
                ElasticsearchConnection.complete(
                    "read change marks",
                    c.search(
                        s ->
                            s.index(index)
                                // Deleted (and not recreated yet by a writer): no marks, no error.
                                .ignoreUnavailable(true)
                                .allowNoIndices(true)
                                .size(limit)
                                .seqNoPrimaryTerm(true)
                                .query(q -> q.bool(b -> b.mustNot(freshPending)))
                                .sort(
                                    o ->
                                        o.field(
                                            f ->
                                                f.field(FirstSeenIndex.CHANGED_AT)
                                                    .order(SortOrder.Asc))),
                        ObjectNode.class)));
    List<ChangeMark> out = new ArrayList<>();
    for (Hit<ObjectNode> hit : r.hits().hits()) {
      out.add(
          new ChangeMark(
              hit.id(),
              FirstSeenIndex.markedProduct(hit.source()),
              FirstSeenIndex.markedMinutes(hit.source()),
              hit.seqNo(),
              hit.primaryTerm()));
    }
    return out;
  }

  /**
   * Removes marks that were recomputed, each only while it is the version that was read: a mark
   * written again meanwhile (its work redone, or a pending mark made ready) stays for the next run.
   * Returns how many stayed.
   */
  public int consume(List<ChangeMark> marks) {
    if (marks.isEmpty()) {
      return 0;
    }
    String index = changesIndex();
    List<BulkOperation> ops = new ArrayList<>();
    for (ChangeMark m : marks) {
      ops.add(
          BulkOperation.of(
              b ->
                  b.delete(
                      d ->
                          d.index(index)
                              .id(m.id())
                              .ifSeqNo(m.seqNo())
                              .ifPrimaryTerm(m.primaryTerm()))));
    }
    RetryPolicy.Backoff backoff = es.retry().backoff();
    while (true) {
      BulkResponse r = bulk("consume change marks", ops);
      List<BulkOperation> again = new ArrayList<>();
      int stayed = 0;
      for (int i = 0; i < r.items().size(); i++) {
        BulkResponseItem item = r.items().get(i);
        if (item.status() == 409) {
          stayed++; // written again since it was read
        } else if (item.error() != null && item.status() != 404) {
          if (!RetryPolicy.retriable(item.status())) {
            throw new IllegalStateException(
                "Elasticsearch refused to remove a change mark: " + item.error());
          }
          again.add(ops.get(i));
        }
      }
      if (again.isEmpty()) {
        return stayed;
      }
      ops = again;
      LOG.warn("Elasticsearch pushed back on removing change marks; retrying");
      backoff.pause("consume change marks", null);
    }
  }

  /**
   * The minutes per product marked as changed at or after {@code since} (epoch ms), after a refresh
   * of the marks, so a mark written before this call is seen.
   */
  public Map<String, TreeSet<Long>> changedSince(long since) {
    es.refresh(changesIndex());
    Map<String, TreeSet<Long>> out = new HashMap<>();
    SortedScan.forEach(
        es,
        changesIndex(),
        FirstSeenIndex.range(FirstSeenIndex.CHANGED_AT, since, Long.MAX_VALUE),
        List.of(FirstSeenIndex.CHANGED_AT, FirstSeenIndex.PRODUCT_ID, FirstSeenIndex.WORK),
        true,
        hit ->
            out.computeIfAbsent(FirstSeenIndex.markedProduct(hit.source()), p -> new TreeSet<>())
                .addAll(FirstSeenIndex.markedMinutes(hit.source())));
    return out;
  }

  /**
   * Every stored first sighting of {@code productId} (every product when null) with t0 in [from,
   * to), in device order (product, then device, for every product), after a refresh.
   */
  public void forEachStored(String productId, long from, long to, Consumer<FirstSeenRecord> each) {
    stored(productId, from, to).forEachRemaining(each);
  }

  /**
   * The sightings {@link #forEachStored} visits, read a page at a time as the caller advances: for
   * one product, ascending by device id in the byte order of its UTF-8.
   */
  public Iterator<FirstSeenRecord> stored(String productId, long from, long to) {
    String index = productId == null ? alias() : indexOf(productId);
    es.refresh(index);
    Iterator<Hit<ObjectNode>> hits =
        SortedScan.iterator(
            es,
            index,
            FirstSeenIndex.t0Range(from, to),
            List.of(FirstSeenIndex.PRODUCT_ID, FirstSeenIndex.DEVICE_ID),
            true);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return hits.hasNext();
      }

      @Override
      public FirstSeenRecord next() {
        return FirstSeenIndex.record(hits.next().source());
      }
    };
  }

  private BulkResponse bulk(String what, List<BulkOperation> ops) {
    BulkRequest request = BulkRequest.of(b -> b.operations(ops));
    return es.call(what, c -> c.bulk(request));
  }
}
