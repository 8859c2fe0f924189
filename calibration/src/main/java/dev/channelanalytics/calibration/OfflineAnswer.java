package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;
import java.sql.SQLException;
import java.util.Iterator;

/**
 * What calibration needs of the offline path: its first sightings of a product in device order, and
 * whether an archive hour is sealed. {@link OfflineFirstSeen} reads them over Hive JDBC.
 */
public interface OfflineAnswer {
  /** Every first sighting of {@code product} with t0 in [from, to), in {@link KeywordOrder}. */
  Iterator<FirstSeenRecord> firstSeen(String product, long from, long to) throws SQLException;

  /**
   * True when no more records can arrive of any archive hour (UTC-aligned, by record time) that the
   * hour of t0 starting at {@code hourStart} overlaps: one for a whole-hour time zone, two where
   * report hours start at :30 or :45.
   */
  boolean sealed(long hourStart) throws SQLException;

  /** The archive hour (UTC-aligned start) holding the instant {@code t}, epoch ms. */
  static long archiveHourOf(long t) {
    return Math.floorDiv(t, ARCHIVE_HOUR) * ARCHIVE_HOUR;
  }

  /**
   * True when every archive hour overlapping [from, to) is sealed in {@code archiveHours} (archive
   * hour start to whether it is sealed; an hour missing was not computed, so not sealed).
   */
  static boolean sealedOver(java.util.Map<Long, Boolean> archiveHours, long from, long to) {
    for (long h = archiveHourOf(from); h < to; h += ARCHIVE_HOUR) {
      if (!archiveHours.getOrDefault(h, false)) {
        return false;
      }
    }
    return true;
  }

  /** The length of an archive hour, ms. */
  long ARCHIVE_HOUR = 3_600_000L;
}
