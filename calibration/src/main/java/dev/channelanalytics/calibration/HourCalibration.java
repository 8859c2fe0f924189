package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.FirstSeenWritePlan;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Calibrates one product's first sightings of one hour of t0: compares the offline path with the
 * real-time store user by user, repairs the store from what the offline path proves, marks the
 * minutes it changed so the calculator recomputes them, and compares again.
 *
 * <p>Repairs, through the store's one write rule ({@link FirstSeenWritePlan#offerProven}):
 *
 * <ul>
 *   <li>a user missing in real time, or stored later than the offline path has it, or in the same
 *       millisecond with another channel, is written as the offline path has it;
 *   <li>a user the offline path does not have is removed, but only for an hour whose archive is
 *       sealed (in an open hour its logs may simply not be archived yet);
 *   <li>a user stored earlier than the offline path has it, in a sealed hour, is replaced: the
 *       stored sighting is deleted and the proven one written once its tombstone is gone ({@link
 *       FirstSeenStore#replace}), as versions, which fall as t0 rises, cannot let a later sighting
 *       overwrite an earlier one.
 * </ul>
 */
public final class HourCalibration {
  private static final long HOUR = 3_600_000L;

  /** Longer than the tombstones of an index made before they were kept briefly (60 s). */
  private static final java.time.Duration REPLACE_TIMEOUT = java.time.Duration.ofSeconds(90);

  private static final String MINUTE = "minute";
  private static final String HOUR_ROW = "hour";

  /**
   * One hour's calibration.
   *
   * @param product the product
   * @param hourStart the hour of t0, epoch ms
   * @param sealed whether the offline path's archive of the hour is sealed
   * @param before the comparison before any repair
   * @param written first sightings written
   * @param removed first sightings removed
   * @param after the comparison after the repairs (the same as before for a dry run)
   * @param offlineRows the report rows the offline first sightings of the hour make: new users per
   *     minute and channel and per channel for the hour (granularities {@code minute} and {@code
   *     hour}), counted while they were compared
   */
  public record Outcome(
      String product,
      long hourStart,
      boolean sealed,
      FirstSeenComparison.Result before,
      long written,
      long removed,
      FirstSeenComparison.Result after,
      Map<FinalBuckets.Key, Long> offlineRows) {

    /** True when the two paths agree on every user of the hour after the repairs. */
    public boolean equal() {
      return after.equal();
    }
  }

  private final OfflineAnswer offline;
  private final FirstSeenStore realTime;

  public HourCalibration(OfflineAnswer offline, FirstSeenStore realTime) {
    this.offline = offline;
    this.realTime = realTime;
  }

  /**
   * Calibrates {@code product} in the hour starting at {@code hourStart}; writes nothing when
   * {@code dryRun}.
   */
  public Outcome calibrate(String product, long hourStart, boolean dryRun) throws SQLException {
    boolean sealed = offline.sealed(hourStart);
    List<UserDifference> differences = new ArrayList<>();
    Map<FinalBuckets.Key, Long> rows = new HashMap<>();
    FirstSeenComparison.Result before = compare(product, hourStart, differences, rows);
    if (dryRun || before.equal()) {
      return new Outcome(product, hourStart, sealed, before, 0, 0, before, rows);
    }
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    List<FirstSeenRecord> removals = new ArrayList<>();
    List<FirstSeenRecord> replacedStored = new ArrayList<>();
    List<FirstSeenRecord> replacedBy = new ArrayList<>();
    TreeSet<Long> minutes = new TreeSet<>();
    // A user missing in this hour may be stored in another: its document is what a write changes.
    Map<String, FirstSeenRecord> elsewhere =
        realTime.get(
            product,
            differences.stream()
                .filter(d -> d.kind() == UserDifference.Kind.MISSING_IN_REAL_TIME)
                .map(UserDifference::deviceId)
                .toList());
    // Whether the hour a stored sighting is in is sealed, asked of the warehouse once per hour.
    Map<Long, Boolean> sealedHours = new HashMap<>(Map.of(hourStart, sealed));
    for (UserDifference d : differences) {
      FirstSeenRecord stored = d.realTime() != null ? d.realTime() : elsewhere.get(d.deviceId());
      if (d.kind() == UserDifference.Kind.EXTRA_IN_REAL_TIME) {
        if (sealed) {
          removals.add(stored);
          minutes.add(stored.minute());
        }
      } else if (!plan.offerProven(d.offline(), stored)
          && sealed(sealedHours, OfflineAnswer.archiveHourOf(stored.t0()))) {
        // Stored earlier than the offline path has it, in a sealed hour: replaced.
        replacedStored.add(stored);
        replacedBy.add(d.offline());
        minutes.add(stored.minute());
        minutes.add(d.offline().minute());
      }
    }
    TreeSet<Long> planned = plan.changedMinutes().get(product);
    if (planned != null) {
      minutes.addAll(planned);
    }
    long now = System.currentTimeMillis();
    // Marked pending before the repairs and ready after them, as the sharder does: the calculator
    // never recomputes (and consumes the mark) before the repaired documents are written, and a
    // crash in between leaves a pending mark that is recomputed after its allowance, never missed.
    String work = "calibration|" + hourStart;
    realTime.markPending(Map.of(product, minutes), now, work);
    List<FirstSeenStore.WriteResult> results = realTime.write(plan.writes(), now);
    long written = 0;
    List<FirstSeenRecord> conflicted = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i) == FirstSeenStore.WriteResult.WRITTEN) {
        written++;
      } else {
        conflicted.add(plan.writes().get(i).record());
      }
    }
    // A proven write refused with nothing stored: the tombstone of a sighting removed moments ago
    // is in its way, and the write waits for it to go. (Anything stored was planned against above;
    // a sighting stored since can only be earlier, and it stands.)
    Map<String, FirstSeenRecord> current =
        realTime.get(product, conflicted.stream().map(FirstSeenRecord::deviceId).toList());
    for (FirstSeenRecord proven : conflicted) {
      if (!current.containsKey(proven.deviceId())) {
        replacedBy.add(proven);
      }
    }
    long removed = realTime.delete(removals);
    written += realTime.replace(replacedStored, replacedBy, now, REPLACE_TIMEOUT);
    removed += replacedStored.size();
    realTime.markChanged(Map.of(product, minutes), System.currentTimeMillis(), work);
    FirstSeenComparison.Result after = compare(product, hourStart, new ArrayList<>(), null);
    return new Outcome(product, hourStart, sealed, before, written, removed, after, rows);
  }

  private boolean sealed(Map<Long, Boolean> known, long hour) throws SQLException {
    Boolean sealed = known.get(hour);
    if (sealed == null) {
      sealed = offline.sealed(hour);
      known.put(hour, sealed);
    }
    return sealed;
  }

  /** Compares the hour; counts the offline side's report rows into {@code rows} unless null. */
  private FirstSeenComparison.Result compare(
      String product,
      long hourStart,
      List<UserDifference> differences,
      Map<FinalBuckets.Key, Long> rows)
      throws SQLException {
    Iterator<FirstSeenRecord> offlineSide = offline.firstSeen(product, hourStart, hourStart + HOUR);
    if (rows != null) {
      offlineSide = counted(offlineSide, hourStart, rows);
    }
    return FirstSeenComparison.compare(
        offlineSide, realTime.stored(product, hourStart, hourStart + HOUR), differences::add);
  }

  /** Passes first sightings through, adding each to its minute's and its hour's row. */
  private static Iterator<FirstSeenRecord> counted(
      Iterator<FirstSeenRecord> side, long hourStart, Map<FinalBuckets.Key, Long> rows) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return side.hasNext();
      }

      @Override
      public FirstSeenRecord next() {
        FirstSeenRecord r = side.next();
        rows.merge(new FinalBuckets.Key(MINUTE, r.minute(), r.channel()), 1L, Long::sum);
        rows.merge(new FinalBuckets.Key(HOUR_ROW, hourStart, r.channel()), 1L, Long::sum);
        return r;
      }
    };
  }
}
