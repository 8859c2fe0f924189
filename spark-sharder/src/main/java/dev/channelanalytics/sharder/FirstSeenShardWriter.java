package dev.channelanalytics.sharder;

import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.FirstSeenWritePlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds one partition of a micro-batch into Elasticsearch: the earliest sighting per user, read
 * against what is stored, written only when it wins, and every (product, minute) bucket it moves
 * marked as changed.
 *
 * <p>One user is always on one {@code parsed-events} partition, and a partition is one task of one
 * micro-batch at a time, so a user's read-compare-write never races another. External versions make
 * any replay or reordering converge anyway: a later sighting can never overwrite an earlier one.
 * Changed buckets are marked pending before the documents are written and ready once they are
 * acknowledged, so the calculator never counts a bucket before its documents are there, and a crash
 * in between leaves a pending mark the calculator recomputes after a while (needlessly or not),
 * never a bucket missed; that includes the minute a user leaves when an earlier event arrives,
 * however old.
 */
final class FirstSeenShardWriter {
  private static final Logger LOG = LoggerFactory.getLogger(FirstSeenShardWriter.class);

  private final FirstSeenStore store;
  private final KnownFirstSeen known;

  FirstSeenShardWriter(FirstSeenStore store, KnownFirstSeen known) {
    this.store = store;
    this.known = known;
  }

  /** The earliest sighting per user among {@code batches}, by the contract's rule. */
  static Map<String, FirstSeenRecord> earliestPerUser(Iterable<ParsedBatch> batches) {
    Map<String, FirstSeenRecord> best = new HashMap<>();
    for (ParsedBatch batch : batches) {
      FirstSeenRecord candidate = FirstSeenRecord.of(batch);
      best.merge(
          KnownFirstSeen.key(candidate.productId(), candidate.deviceId()),
          candidate,
          (a, b) -> b.beats(a) ? b : a);
    }
    return best;
  }

  PartitionOutcome write(
      long batchId, int kafkaPartition, List<ParsedBatch> batches, long batchTime) {
    Map<String, FirstSeenRecord> best = earliestPerUser(batches);
    Map<String, List<FirstSeenRecord>> byProduct = new HashMap<>();
    long unorderable = 0;
    for (FirstSeenRecord r : best.values()) {
      if (!r.versionable()) {
        unorderable++;
        LOG.error(
            "Not storing the sighting of a device of product {}: t0 {} is beyond what versions"
                + " can order",
            r.productId(),
            r.t0());
        continue;
      }
      byProduct.computeIfAbsent(r.productId(), p -> new ArrayList<>()).add(r);
    }

    long skippedKnown = 0;
    long skippedStored = 0;
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    for (Map.Entry<String, List<FirstSeenRecord>> e : byProduct.entrySet()) {
      String product = e.getKey();
      store.ensureProductIndex(product);
      List<FirstSeenRecord> unknown = new ArrayList<>();
      for (FirstSeenRecord candidate : e.getValue()) {
        FirstSeenRecord hit = known.get(product, candidate.deviceId());
        if (hit == null) {
          unknown.add(candidate);
        } else if (!plan.offer(candidate, hit)) {
          skippedKnown++;
        }
      }
      Map<String, FirstSeenRecord> stored =
          store.get(product, unknown.stream().map(FirstSeenRecord::deviceId).toList());
      for (FirstSeenRecord candidate : unknown) {
        FirstSeenRecord current = stored.get(candidate.deviceId());
        if (!plan.offer(candidate, current)) {
          known.confirmed(current);
          skippedStored++;
        }
      }
    }

    List<FirstSeenStore.Write> writes = plan.writes();
    Map<String, Set<Long>> changed = new HashMap<>(plan.changedMinutes());
    String work = batchId + "|" + kafkaPartition;
    if (!changed.isEmpty()) {
      // Pending first: if this task dies before its documents are written, the mark remains.
      store.markPending(changed, System.currentTimeMillis(), work);
    }
    long written = 0;
    long conflicts = 0;
    if (!writes.isEmpty()) {
      List<FirstSeenStore.WriteResult> results = store.write(writes, System.currentTimeMillis());
      for (int i = 0; i < writes.size(); i++) {
        FirstSeenRecord r = writes.get(i).record();
        if (results.get(i) == FirstSeenStore.WriteResult.WRITTEN) {
          known.confirmed(r);
          written++;
        } else {
          // Something earlier is stored that this JVM did not know of: read it next time.
          known.forget(r.productId(), r.deviceId());
          conflicts++;
        }
      }
    }
    if (!changed.isEmpty()) {
      // Now the calculator may read it: every document it announces is acknowledged.
      store.markChanged(changed, System.currentTimeMillis(), work);
    }
    return new PartitionOutcome(
        batches.size(),
        best.size(),
        skippedKnown,
        skippedStored,
        written,
        conflicts,
        unorderable,
        changed,
        0);
  }
}
