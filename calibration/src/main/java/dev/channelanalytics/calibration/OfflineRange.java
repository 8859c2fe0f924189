package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The offline answer for one calibration's range [from, to): which archive hours are sealed and in
 * which report hours each product has first sightings, read once for the range, and each product's
 * hourly new users, read once per product. A Hive query costs a fraction of a second however little
 * it reads, and asking both per hour made them two thirds of a calibration's queries. First
 * sightings are still read hour by hour, so the warehouse never holds more than an hour of a
 * product's users for an answer.
 */
final class OfflineRange implements OfflineAnswer {
  private final OfflineFirstSeen offline;
  private final long from;
  private final long to;
  private final java.time.ZoneId zone;
  private final TreeMap<Long, Boolean> sealed;
  private final long sealedFrom;
  private final long sealedTo;
  private final TreeMap<String, java.util.TreeSet<Long>> hoursWithUsers;
  private String hourlyOf;
  private TreeMap<Long, Map<String, Long>> hourly;

  private OfflineRange(OfflineFirstSeen offline, long from, long to, java.time.ZoneId zone)
      throws SQLException {
    this.offline = offline;
    this.from = from;
    this.to = to;
    this.zone = zone;
    // Every archive hour the range's report hours overlap (one more at each end where they start
    // at :30 or :45 UTC).
    this.sealedFrom = OfflineAnswer.archiveHourOf(from);
    this.sealedTo = OfflineAnswer.archiveHourOf(to - 1) + OfflineAnswer.ARCHIVE_HOUR;
    this.sealed = offline.sealedHours(sealedFrom, sealedTo);
    this.hoursWithUsers = offline.hoursWithUsers(from, to, zone);
  }

  /**
   * Reads the sealed hours of [from, to) and the hours with first sightings; report hours are those
   * of the time zone {@code zone}.
   */
  static OfflineRange read(OfflineFirstSeen offline, long from, long to, java.time.ZoneId zone)
      throws SQLException {
    return new OfflineRange(offline, from, to, zone);
  }

  /** The products with first sightings in the range. */
  java.util.Set<String> products() {
    return hoursWithUsers.keySet();
  }

  /** The report hours of the range in which {@code product} has first sightings. */
  java.util.Set<Long> hoursWithUsers(String product) {
    return hoursWithUsers.getOrDefault(product, new java.util.TreeSet<>());
  }

  @Override
  public Iterator<FirstSeenRecord> firstSeen(String product, long from, long to)
      throws SQLException {
    return offline.firstSeen(product, from, to);
  }

  /** From the range's answer inside it; asked of the warehouse outside it. */
  @Override
  public boolean sealed(long hourStart) throws SQLException {
    long end = hourStart + OfflineAnswer.ARCHIVE_HOUR;
    if (hourStart >= sealedFrom && end <= sealedTo) {
      return OfflineAnswer.sealedOver(sealed, hourStart, end);
    }
    return offline.sealed(hourStart);
  }

  /**
   * The offline hourly new users per channel of {@code product} in the report hour starting at
   * {@code hourStart} of the range; the product's whole range is read on its first hour asked.
   */
  Map<String, Long> hourlyNewUsers(String product, long hourStart) throws SQLException {
    if (hourStart < from || hourStart >= to) {
      throw new IllegalArgumentException("the hour " + hourStart + " is outside the range");
    }
    if (!product.equals(hourlyOf)) {
      hourly = offline.hourlyNewUsers(product, from, to, zone.getId());
      hourlyOf = product;
    }
    return hourly.getOrDefault(hourStart, Map.of());
  }
}
