package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.FirstSeenWritePlan;
import java.sql.SQLException;
import java.util.ArrayList;
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
 *   <li>a user stored earlier than the offline path has it is left and reported: versions, which
 *       fall as t0 rises, cannot replace a sighting with a later one.
 * </ul>
 */
public final class HourCalibration {
  private static final long HOUR = 3_600_000L;

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
   */
  public record Outcome(
      String product,
      long hourStart,
      boolean sealed,
      FirstSeenComparison.Result before,
      long written,
      long removed,
      FirstSeenComparison.Result after) {

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
    FirstSeenComparison.Result before = compare(product, hourStart, differences);
    if (dryRun || before.equal()) {
      return new Outcome(product, hourStart, sealed, before, 0, 0, before);
    }
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    List<FirstSeenRecord> removals = new ArrayList<>();
    TreeSet<Long> minutes = new TreeSet<>();
    for (UserDifference d : differences) {
      if (d.kind() == UserDifference.Kind.EXTRA_IN_REAL_TIME) {
        if (sealed) {
          removals.add(d.realTime());
          minutes.add(d.realTime().minute());
        }
      } else {
        plan.offerProven(d.offline(), d.realTime());
      }
    }
    TreeSet<Long> planned = plan.changedMinutes().get(product);
    if (planned != null) {
      minutes.addAll(planned);
    }
    long now = System.currentTimeMillis();
    // Marked before the repairs, as the sharder marks before it writes: a crash in between makes
    // a bucket be recomputed needlessly, never missed.
    realTime.markChanged(Map.of(product, minutes), now, "calibration|" + hourStart);
    long written =
        realTime.write(plan.writes(), now).stream()
            .filter(r -> r == FirstSeenStore.WriteResult.WRITTEN)
            .count();
    long removed = realTime.delete(removals);
    FirstSeenComparison.Result after = compare(product, hourStart, new ArrayList<>());
    return new Outcome(product, hourStart, sealed, before, written, removed, after);
  }

  private FirstSeenComparison.Result compare(
      String product, long hourStart, List<UserDifference> differences) throws SQLException {
    return FirstSeenComparison.compare(
        offline.firstSeen(product, hourStart, hourStart + HOUR),
        realTime.stored(product, hourStart, hourStart + HOUR),
        differences::add);
  }
}
