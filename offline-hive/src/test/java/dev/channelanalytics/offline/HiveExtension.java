package dev.channelanalytics.offline;

import dev.channelanalytics.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class a Hive warehouse of its own, in a temporary folder: Spark local[2] with Hive
 * support, its Derby metastore served on a free port, and HiveServer2 on loopback; and {@link #sql}
 * to talk to it over Hive JDBC, as the ETL and calibration do.
 *
 * <pre>{@code @RegisterExtension static final HiveExtension HIVE = new HiveExtension();}</pre>
 *
 * <p>Hive keeps the HiveServer2 and metastore ports it was first given for the whole JVM, so every
 * warehouse of a test run listens on the same two, one warehouse at a time. Tests that must not see
 * each other's tables each take a {@link #database()} of their own.
 */
final class HiveExtension implements BeforeAllCallback, AfterAllCallback {
  private static int port;
  private static int metastorePort;

  private final List<Database> databases = new ArrayList<>();
  private Path dir;
  private HiveWarehouse warehouse;
  private Database defaultDatabase;

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("offline-hive-test-");
    // Not deleted after the class: HiveServer2 sessions of later warehouses in this JVM still open
    // (and close) metastore clients on the first warehouse's metastore, which Hive keeps for the
    // JVM; deleting its files under the Derby engine that still has it booted hangs them.
    Path folder = dir;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(folder)));
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  /** Stops the warehouse and starts it again on the same folder. */
  void restart() {
    stop();
    start();
  }

  HiveWarehouse warehouse() {
    if (warehouse == null) {
      throw new IllegalStateException("register HiveExtension as a static field");
    }
    return warehouse;
  }

  /** The folder of the metastore and the tables. */
  Path dir() {
    return dir;
  }

  /** The metastore as another process reaches it over the network. */
  String metastoreUrl() {
    return HiveWarehouse.metastoreUrl(metastorePort(), dir);
  }

  /** Runs one statement in the {@code default} database; see {@link Database#sql}. */
  List<List<Object>> sql(String statement) throws SQLException {
    return defaultDatabase.sql(statement);
  }

  /** A new, empty database, for a test whose tables no other test may see. */
  Database database() throws SQLException {
    String name = "t_" + UUID.randomUUID().toString().substring(0, 8);
    sql("CREATE DATABASE " + name);
    return open(warehouse().jdbcUrl().replaceAll("/default$", "/" + name));
  }

  /** Offline settings for the {@code default} database; see {@link Database#settings}. */
  OfflineSettings settings(
      String bootstrapServers, String rawTopic, String configTopic, Path keyring, ZoneId zone) {
    return defaultDatabase.settings(bootstrapServers, rawTopic, configTopic, keyring, zone);
  }

  /**
   * Rows whose last column is a count, keyed by their other columns joined with {@code |}: the
   * shape of {@link OfflineEtl#hourlyNewUsers()}.
   */
  static Map<String, Long> counts(List<List<Object>> rows) {
    Map<String, Long> out = new TreeMap<>();
    for (List<Object> row : rows) {
      List<String> key = row.subList(0, row.size() - 1).stream().map(String::valueOf).toList();
      out.put(String.join("|", key), ((Number) row.get(row.size() - 1)).longValue());
    }
    return out;
  }

  /** One database of the warehouse and a JDBC session on it, kept for the test class. */
  static final class Database {
    private final String jdbcUrl;
    private final Connection connection;

    private Database(String jdbcUrl, Connection connection) {
      this.jdbcUrl = jdbcUrl;
      this.connection = connection;
    }

    String jdbcUrl() {
      return jdbcUrl;
    }

    /** Offline settings for this database: hold 10 minutes, settle 15, first hour from Kafka. */
    OfflineSettings settings(
        String bootstrapServers, String rawTopic, String configTopic, Path keyring, ZoneId zone) {
      return new OfflineSettings(
          jdbcUrl,
          dev.channelanalytics.common.security.WarehouseLogin.none(),
          dev.channelanalytics.common.kafka.KafkaConnection.plaintext(bootstrapServers),
          rawTopic,
          configTopic,
          keyring,
          Duration.ofMinutes(10),
          zone,
          Duration.ofMinutes(15),
          Optional.empty());
    }

    /**
     * Runs one statement in this database's session (temporary functions and views stay for the
     * next) and returns its rows, each as its column values; none for a statement without a result.
     */
    List<List<Object>> sql(String statement) throws SQLException {
      List<List<Object>> rows = new ArrayList<>();
      try (Statement s = connection.createStatement()) {
        if (s.execute(statement)) {
          try (ResultSet r = s.getResultSet()) {
            int columns = r.getMetaData().getColumnCount();
            while (r.next()) {
              List<Object> row = new ArrayList<>();
              for (int c = 1; c <= columns; c++) {
                row.add(r.getObject(c));
              }
              rows.add(row);
            }
          }
        }
      }
      return rows;
    }

    /** The one value a query returns; fails unless it returns exactly one row and column. */
    Object single(String query) throws SQLException {
      List<List<Object>> rows = sql(query);
      if (rows.size() != 1 || rows.get(0).size() != 1) {
        throw new AssertionError("expected one value from " + query + ", got " + rows);
      }
      return rows.get(0).get(0);
    }
  }

  private Database open(String jdbcUrl) throws SQLException {
    Database d = new Database(jdbcUrl, DriverManager.getConnection(jdbcUrl, "test", ""));
    databases.add(d);
    return d;
  }

  private void start() {
    warehouse = HiveWarehouse.start(dir, port(), metastorePort(), "local[2]");
    try {
      defaultDatabase = open(warehouse.jdbcUrl());
    } catch (SQLException e) {
      warehouse.close();
      throw new IllegalStateException("the warehouse does not answer over JDBC", e);
    }
  }

  private void stop() {
    for (Database d : databases) {
      try {
        d.connection.close();
      } catch (SQLException ignored) {
        // the warehouse stops next anyway
      }
    }
    databases.clear();
    if (warehouse != null) {
      warehouse.close();
      warehouse = null;
    }
  }

  private static void deleteQuietly(Path folder) {
    try (Stream<Path> paths = Files.walk(folder)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort, at exit: the OS cleans temporary folders eventually
    }
  }

  private static synchronized int port() {
    if (port == 0) {
      port = FreePorts.next();
    }
    return port;
  }

  private static synchronized int metastorePort() {
    if (metastorePort == 0) {
      metastorePort = FreePorts.next();
    }
    return metastorePort;
  }
}
