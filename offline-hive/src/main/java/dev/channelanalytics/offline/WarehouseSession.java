package dev.channelanalytics.offline;

import dev.channelanalytics.common.security.WarehouseLogin;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One JDBC session on the warehouse's HiveServer2 endpoint, in UTC: the ETL's scripts and the
 * books' queries run through it, so the session settings and the temporary functions and views of a
 * run stay in one place.
 */
final class WarehouseSession implements AutoCloseable {
  /** Reads one row of a result. */
  interface RowReader<T> {
    T read(ResultSet row) throws SQLException;
  }

  private final Connection connection;
  private final Statement statement;

  private WarehouseSession(Connection connection, Statement statement) {
    this.connection = connection;
    this.statement = statement;
  }

  /** Connects with the Hive JDBC driver; a failure says where it looked. */
  static WarehouseSession connect(String jdbcUrl, WarehouseLogin login) throws SQLException {
    try {
      Class.forName("org.apache.hive.jdbc.HiveDriver");
    } catch (ClassNotFoundException e) {
      throw new SQLException("the Hive JDBC driver (hive-jdbc) is not on the classpath", e);
    }
    Connection c;
    try {
      c = DriverManager.getConnection(jdbcUrl, login.user(), login.password());
    } catch (SQLException e) {
      throw new SQLException(
          "cannot reach the warehouse at "
              + jdbcUrl
              + " (is it running? channel up starts it): "
              + e.getMessage(),
          e);
    }
    try {
      Statement s = c.createStatement();
      // Hours and record stamps are UTC whatever the server's zone.
      s.execute("SET spark.sql.session.timeZone=UTC");
      return new WarehouseSession(c, s);
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  void execute(String sql) throws SQLException {
    statement.execute(sql);
  }

  /** Runs the script {@code hiveql/<name>} with its variables. */
  void run(String script, Map<String, String> variables) throws SQLException {
    HiveQlScript.load(script).run(statement, variables);
  }

  <T> List<T> query(String sql, RowReader<T> reader) throws SQLException {
    List<T> out = new ArrayList<>();
    try (ResultSet r = statement.executeQuery(sql)) {
      while (r.next()) {
        out.add(reader.read(r));
      }
    }
    return out;
  }

  /** A row handler that may fail like a JDBC read. */
  interface RowConsumer {
    void accept(ResultSet row) throws SQLException;
  }

  /**
   * Hands each row of {@code sql} to {@code each} as it is fetched, a page at a time, so an answer
   * larger than memory (an hour of raw envelopes) streams through. Returns the row count.
   */
  long forEach(String sql, int fetchSize, RowConsumer each) throws SQLException {
    long rows = 0;
    try (Statement s = connection.createStatement()) {
      s.setFetchSize(fetchSize);
      try (ResultSet r = s.executeQuery(sql)) {
        while (r.next()) {
          each.accept(r);
          rows++;
        }
      }
    }
    return rows;
  }

  /** The first column of the first row as a number: a {@code count(*)}, say. */
  long count(String sql) throws SQLException {
    List<Long> rows = query(sql, r -> r.getLong(1));
    if (rows.isEmpty()) {
      throw new SQLException("no row from: " + sql);
    }
    return rows.get(0);
  }

  @Override
  public void close() throws SQLException {
    try {
      statement.close();
    } finally {
      connection.close();
    }
  }
}
