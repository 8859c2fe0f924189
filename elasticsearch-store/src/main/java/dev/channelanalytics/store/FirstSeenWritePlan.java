package dev.channelanalytics.store;

import dev.channelanalytics.common.records.FirstSeenRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What to write for a set of candidate first sightings, given what is stored: the writes and every
 * (product, minute) bucket they move, shared by everything that writes first-seen documents (the
 * sharder, calibration's repairs), so all follow one rule.
 *
 * <p>A candidate is written only when it beats the stored sighting (contract section 7: earlier, or
 * as early with a smaller channel, then app key). When both have the same t0 they share an external
 * version, so the write must be allowed to overwrite an equal version ({@code external_gte});
 * otherwise an equal version is refused. Both the minute the user enters and the minute it leaves
 * are marked, so the calculator recomputes each.
 */
public final class FirstSeenWritePlan {
  private final List<FirstSeenStore.Write> writes = new ArrayList<>();
  private final Map<String, TreeSet<Long>> changed = new HashMap<>();

  /**
   * Plans {@code candidate} against {@code stored} (null when nothing is stored); false, and
   * nothing planned, when the stored sighting wins or is the same.
   */
  public boolean offer(FirstSeenRecord candidate, FirstSeenRecord stored) {
    if (stored != null && !candidate.beats(stored)) {
      return false;
    }
    add(candidate, stored, stored != null && stored.t0() == candidate.t0());
    return true;
  }

  private void add(FirstSeenRecord candidate, FirstSeenRecord stored, boolean overwriteEqual) {
    writes.add(new FirstSeenStore.Write(candidate, overwriteEqual));
    TreeSet<Long> minutes = changed.computeIfAbsent(candidate.productId(), p -> new TreeSet<>());
    minutes.add(candidate.minute());
    if (stored != null) {
      minutes.add(stored.minute());
    }
  }

  /**
   * Plans a sighting the offline path proves against {@code stored} (null when nothing is stored):
   * written when nothing is stored, when it beats the stored one, or when both share t0 (the proven
   * channel and app key then overwrite, whatever the tie rule says); these writes may overwrite an
   * equal version, so a document deleted moments ago, whose tombstone keeps its version, is
   * restored. False, and nothing planned, when the stored sighting is earlier: a version, which
   * falls as t0 rises, cannot replace it with a later one.
   */
  public boolean offerProven(FirstSeenRecord proven, FirstSeenRecord stored) {
    if (stored != null && stored.t0() < proven.t0()) {
      return false;
    }
    add(proven, stored, true);
    return true;
  }

  /** The planned writes, in the order offered. */
  public List<FirstSeenStore.Write> writes() {
    return writes;
  }

  /** The minutes each product's planned writes move, entered or left. */
  public Map<String, TreeSet<Long>> changedMinutes() {
    return changed;
  }
}
