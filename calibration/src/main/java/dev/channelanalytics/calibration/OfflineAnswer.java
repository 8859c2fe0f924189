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

  /** True when no more records of the archive hour starting at {@code hourStart} can arrive. */
  boolean sealed(long hourStart) throws SQLException;
}
