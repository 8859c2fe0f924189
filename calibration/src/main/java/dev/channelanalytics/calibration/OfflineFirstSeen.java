package dev.channelanalytics.calibration;

import dev.channelanalytics.calculator.Granularity;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.security.WarehouseLogin;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The offline path's answer, read over Hive JDBC ({@code offline.jdbc-url}, so the same code reads
 * a production HiveServer2): every user's first sighting from {@code dws_first_seen}, and which
 * archive hours are sealed from {@code etl_hours}.
 *
 * <p>The Hive JDBC driver is not a compile dependency: it comes with the offline classpath (Spark's
 * HiveServer2 client) at run time, and is found by {@link DriverManager}.
 */
public final class OfflineFirstSeen implements OfflineAnswer, AutoCloseable {
  /** Rows fetched per round trip of a streamed query. */
  private static final int FETCH = 10_000;

  private static final long QUARTER = 900_000L;

  private final String jdbcUrl;
  private final Connection connection;

  private OfflineFirstSeen(String jdbcUrl, Connection connection) {
    this.jdbcUrl = jdbcUrl;
    this.connection = connection;
  }

  /** Connects to the warehouse; a failure says where it looked. */
  public static OfflineFirstSeen connect(String jdbcUrl, WarehouseLogin login) throws SQLException {
    try {
      Class.forName("org.apache.hive.jdbc.HiveDriver");
    } catch (ClassNotFoundException e) {
      throw new SQLException("the Hive JDBC driver is not on the classpath", e);
    }
    try {
      return new OfflineFirstSeen(
          jdbcUrl, DriverManager.getConnection(jdbcUrl, login.user(), login.password()));
    } catch (SQLException e) {
      throw new SQLException("cannot reach the warehouse at " + jdbcUrl + ": " + e.getMessage(), e);
    }
  }

  /**
   * True when every archive hour the hour starting at {@code hourStart} overlaps was computed with
   * every partition's range sealed (a record of a later hour was archived), so no more records of
   * it can arrive.
   */
  @Override
  public boolean sealed(long hourStart) throws SQLException {
    long end = hourStart + ARCHIVE_HOUR;
    return OfflineAnswer.sealedOver(
        sealedHours(OfflineAnswer.archiveHourOf(hourStart), end), hourStart, end);
  }

  /**
   * Every first sighting of {@code product} with t0 in [from, to), in {@link KeywordOrder} (Spark
   * SQL orders strings by their UTF-8 bytes), streamed; the statement closes when it is exhausted.
   */
  @Override
  public Iterator<FirstSeenRecord> firstSeen(String product, long from, long to)
      throws SQLException {
    PreparedStatement s =
        connection.prepareStatement(
            "SELECT device_id, t0, channel, app_key FROM dws_first_seen"
                + " WHERE product_id = ? AND t0 >= ? AND t0 < ? ORDER BY device_id");
    s.setString(1, product);
    s.setLong(2, from);
    s.setLong(3, to);
    s.setFetchSize(FETCH);
    ResultSet r = s.executeQuery();
    return new Iterator<>() {
      private FirstSeenRecord next = read();

      private FirstSeenRecord read() {
        try {
          if (r.next()) {
            return new FirstSeenRecord(
                product, r.getString(1), r.getLong(2), r.getString(3), r.getString(4));
          }
          s.close();
          return null;
        } catch (SQLException e) {
          throw new IllegalStateException(
              "reading dws_first_seen of " + product + " at " + jdbcUrl + " failed", e);
        }
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public FirstSeenRecord next() {
        if (next == null) {
          throw new NoSuchElementException();
        }
        FirstSeenRecord current = next;
        next = read();
        return current;
      }
    };
  }

  /**
   * The archive hours of [from, to) the offline path has computed, each with whether every
   * partition's range of it was sealed (see {@link #sealed}): one query for a calibration's range.
   */
  public TreeMap<Long, Boolean> sealedHours(long from, long to) throws SQLException {
    TreeMap<Long, Boolean> out = new TreeMap<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT hour_start, count(*), count(IF(sealed, 1, NULL)) FROM etl_hours"
                + " WHERE hour_start >= ? AND hour_start < ? GROUP BY hour_start")) {
      s.setLong(1, from);
      s.setLong(2, to);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.put(r.getLong(1), r.getLong(2) > 0 && r.getLong(2) == r.getLong(3));
        }
      }
    }
    return out;
  }

  /**
   * The offline hourly new users of {@code product} per report hour starting in [from, to) and
   * channel ({@code ads_new_users_hourly}), in the time zone {@code zone}; a table built in another
   * zone is refused, since its hours are not the reports' hours.
   */
  public TreeMap<Long, Map<String, Long>> hourlyNewUsers(
      String product, long from, long to, String zone) throws SQLException {
    TreeMap<Long, Map<String, Long>> out = new TreeMap<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT bucket_start, channel, new_users, tz FROM ads_new_users_hourly"
                + " WHERE product_id = ? AND bucket_start >= ? AND bucket_start < ?")) {
      s.setString(1, product);
      s.setLong(2, from);
      s.setLong(3, to);
      s.setFetchSize(FETCH);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          if (!zone.equals(r.getString(4))) {
            throw new SQLException(
                "ads_new_users_hourly was built in time zone "
                    + r.getString(4)
                    + ", the reports are in "
                    + zone);
          }
          out.computeIfAbsent(r.getLong(1), h -> new TreeMap<>())
              .merge(r.getString(2), r.getLong(3), Long::sum);
        }
      }
    }
    return out;
  }

  /**
   * The products with first sightings in [from, to), each with the report hours of the time zone
   * {@code zone} in which it has them. The warehouse groups by quarter hour, so hours that start at
   * :30 or :45 UTC are told apart; a quarter is given to the zone hours of its first and last
   * millisecond, so a zone whose hours do not start on a quarter gets a hour too many, never one
   * too few.
   */
  public TreeMap<String, TreeSet<Long>> hoursWithUsers(long from, long to, java.time.ZoneId zone)
      throws SQLException {
    TreeMap<String, TreeSet<Long>> out = new TreeMap<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT DISTINCT product_id, CAST(floor(t0 / 900000) AS BIGINT) * 900000"
                + " FROM dws_first_seen WHERE t0 >= ? AND t0 < ?")) {
      s.setLong(1, from);
      s.setLong(2, to);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          TreeSet<Long> hours = out.computeIfAbsent(r.getString(1), p -> new TreeSet<>());
          long quarter = r.getLong(2);
          hours.add(Granularity.HOUR.bucketStart(Math.max(quarter, from), zone));
          hours.add(Granularity.HOUR.bucketStart(Math.min(quarter + QUARTER, to) - 1, zone));
        }
      }
    }
    return out;
  }

  /** The archive hours of [from, to) the offline path has computed (rows of {@code etl_hours}). */
  public TreeSet<Long> computedHours(long from, long to) throws SQLException {
    return longs(
        "SELECT DISTINCT hour_start FROM etl_hours WHERE hour_start >= ? AND hour_start < ?",
        from,
        to);
  }

  /** The first archive hour the offline path computed; empty before its first run. */
  public java.util.OptionalLong firstComputedHour() throws SQLException {
    TreeSet<Long> first = longs("SELECT min(hour_start) FROM etl_hours", null, null);
    return first.isEmpty()
        ? java.util.OptionalLong.empty()
        : java.util.OptionalLong.of(first.first());
  }

  /**
   * The archive hours computed after {@code since} (epoch ms) and published since, each with when
   * it was computed: what an offline run did since calibration last looked. An hour computed but
   * not yet published is left for the next look: until the publish ends, {@code dws_first_seen}
   * shows the sightings from before it, and while the publish turns the view (Spark replaces a view
   * by dropping and creating it) a query finds no view at all.
   */
  public TreeMap<Long, Long> computedSince(long since) throws SQLException {
    TreeMap<Long, Long> out = new TreeMap<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT hour_start, max(unix_millis(computed_at)) FROM etl_hours"
                + " WHERE unix_millis(computed_at) > ?"
                + " AND computed_at <= (SELECT max(published_at) FROM etl_published)"
                + " GROUP BY hour_start")) {
      s.setLong(1, since);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.put(r.getLong(1), r.getLong(2));
        }
      }
    }
    return out;
  }

  /**
   * The hours of first-seen time (UTC-aligned starts) of the first sightings found among the events
   * of the archive hour starting at {@code archiveHour}: the hours its computation may have
   * changed.
   */
  public TreeSet<Long> firstSeenHoursOf(long archiveHour) throws SQLException {
    java.time.ZonedDateTime h =
        java.time.Instant.ofEpochMilli(archiveHour).atZone(java.time.ZoneOffset.UTC);
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT DISTINCT CAST(floor(t0 / 3600000) AS BIGINT) * 3600000"
                + " FROM dws_first_seen_hourly WHERE dt = ? AND hour = ?")) {
      s.setString(1, h.toLocalDate().toString());
      s.setString(2, String.format(java.util.Locale.ROOT, "%02d", h.getHour()));
      TreeSet<Long> out = new TreeSet<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(r.getLong(1));
        }
      }
      return out;
    }
  }

  /** The end of the raw-logs offsets the offline path has archived, per partition. */
  public Map<Integer, Long> archivedUntil() throws SQLException {
    Map<Integer, Long> out = new TreeMap<>();
    try (PreparedStatement s =
            connection.prepareStatement(
                "SELECT kafka_partition, max(until_offset) FROM ods_archive_ranges"
                    + " GROUP BY kafka_partition");
        ResultSet r = s.executeQuery()) {
      while (r.next()) {
        out.put(r.getInt(1), r.getLong(2));
      }
    }
    return out;
  }

  private TreeSet<Long> longs(String sql, Long from, Long to) throws SQLException {
    TreeSet<Long> out = new TreeSet<>();
    try (PreparedStatement s = connection.prepareStatement(sql)) {
      if (from != null) {
        s.setLong(1, from);
        s.setLong(2, to);
      }
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          long v = r.getLong(1);
          if (!r.wasNull()) {
            out.add(v);
          }
        }
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
