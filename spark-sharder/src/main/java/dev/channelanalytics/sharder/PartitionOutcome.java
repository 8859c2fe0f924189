package dev.channelanalytics.sharder;

import java.io.Serializable;
import java.util.Map;
import java.util.Set;

/**
 * What one partition of a micro-batch did, sent back to the driver for its metrics.
 *
 * @param recordsIn parsed batches read
 * @param users distinct users among them
 * @param skippedKnown users whose candidate could not beat the cached sighting (no read, no write)
 * @param skippedStored users whose candidate could not beat the stored sighting (read, no write)
 * @param written documents written
 * @param conflicts writes refused because an earlier sighting was already stored
 * @param unorderable users whose t0 is beyond what external versions can order (logged)
 * @param changed (product, minute) buckets marked as changed
 * @param foreign records of {@code parsed-events} that are not parsed batches within the contract
 *     (skipped, each logged with its coordinates)
 */
record PartitionOutcome(
    long recordsIn,
    long users,
    long skippedKnown,
    long skippedStored,
    long written,
    long conflicts,
    long unorderable,
    Map<String, Set<Long>> changed,
    long foreign)
    implements Serializable {

  PartitionOutcome withForeign(long n) {
    return new PartitionOutcome(
        recordsIn, users, skippedKnown, skippedStored, written, conflicts, unorderable, changed, n);
  }
}
