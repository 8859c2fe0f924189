package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.NoSuchElementException;
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

  private final String jdbcUrl;
  private final Connection connection;

  private OfflineFirstSeen(String jdbcUrl, Connection connection) {
    this.jdbcUrl = jdbcUrl;
    this.connection = connection;
  }

  /** Connects to the warehouse; a failure says where it looked. */
  public static OfflineFirstSeen connect(String jdbcUrl) throws SQLException {
    try {
      Class.forName("org.apache.hive.jdbc.HiveDriver");
    } catch (ClassNotFoundException e) {
      throw new SQLException("the Hive JDBC driver is not on the classpath", e);
    }
    try {
      return new OfflineFirstSeen(jdbcUrl, DriverManager.getConnection(jdbcUrl, "channel", ""));
    } catch (SQLException e) {
      throw new SQLException("cannot reach the warehouse at " + jdbcUrl + ": " + e.getMessage(), e);
    }
  }

  /** The products with a first sighting in [from, to). */
  public TreeSet<String> products(long from, long to) throws SQLException {
    TreeSet<String> out = new TreeSet<>();
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT DISTINCT product_id FROM dws_first_seen WHERE t0 >= ? AND t0 < ?")) {
      s.setLong(1, from);
      s.setLong(2, to);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(r.getString(1));
        }
      }
    }
    return out;
  }

  /**
   * True when the archive hour starting at {@code hourStart} was computed with every partition's
   * range sealed (a record of a later hour was archived), so no more records of it can arrive.
   */
  @Override
  public boolean sealed(long hourStart) throws SQLException {
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT count(*), count(IF(sealed, 1, NULL)) FROM etl_hours WHERE hour_start = ?")) {
      s.setLong(1, hourStart);
      try (ResultSet r = s.executeQuery()) {
        return r.next() && r.getLong(1) > 0 && r.getLong(1) == r.getLong(2);
      }
    }
  }

  /**
   * Every first sighting of {@code product} with t0 in [from, to), in {@link DeviceOrder} (Spark
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

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
