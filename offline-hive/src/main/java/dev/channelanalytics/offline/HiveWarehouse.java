package dev.channelanalytics.offline;

import dev.channelanalytics.common.security.WarehouseLogin;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.file.Path;
import org.apache.derby.drda.NetworkServerControl;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;

/**
 * The offline path's Hive warehouse on the embedded default: Spark SQL with Hive support, a
 * metastore and warehouse under one folder, and a HiveServer2 endpoint (Spark's Thrift server) on
 * loopback that any process reaches with the Hive JDBC driver. In production the same code points
 * at a real metastore ({@code hive.metastore.uris}) and a HiveServer2-compatible endpoint.
 *
 * <p>The metastore is Derby in the warehouse folder, owned by this process; with a metastore port
 * it also serves over the network, so other processes (a Spark job with Hive support, a Hive CLI)
 * share the metastore itself, and any process shares the tables through the HiveServer2 endpoint.
 * Hive caches its configuration per JVM: a warehouse started again in the same JVM listens on the
 * port the first one had, so a JVM (a test run included) uses one port for all its warehouses.
 */
public final class HiveWarehouse implements AutoCloseable {
  private final SparkSession spark;
  private final HiveThriftServer2 server;
  private final int port;
  private final NetworkServerControl metastoreServer;

  private HiveWarehouse(
      SparkSession spark, HiveThriftServer2 server, int port, NetworkServerControl metastore) {
    this.spark = spark;
    this.server = server;
    this.port = port;
    this.metastoreServer = metastore;
  }

  /**
   * Starts Spark local with Hive support, its metastore in {@code dir/metastore_db} and tables in
   * {@code dir/warehouse}, and the Thrift server on {@code localhost:port}.
   */
  public static HiveWarehouse start(Path dir, int port, String master) {
    return start(dir, port, 0, master);
  }

  /**
   * Like {@link #start(Path, int, String)}; with a {@code metastorePort} above 0 the metastore's
   * Derby also serves on {@code localhost:metastorePort}, so that other processes share the
   * metastore ({@link #metastoreUrl()}), not only the tables through HiveServer2.
   */
  public static HiveWarehouse start(Path dir, int port, int metastorePort, String master) {
    return start(dir, port, metastorePort, master, WarehouseLogin.none());
  }

  /**
   * Like {@link #start(Path, int, int, String)}; when {@code login} has a password, HiveServer2
   * accepts that login alone ({@link WarehousePasswordCheck}).
   */
  public static HiveWarehouse start(
      Path dir, int port, int metastorePort, String master, WarehouseLogin login) {
    Path absolute = dir.toAbsolutePath();
    WarehousePasswordCheck.expect(login);
    // HiveServer2 builds its login check from a fresh HiveConf, which reads hive.* system
    // properties: the class name goes there (it is no secret; the password stays in memory).
    System.setProperty(
        "hive.server2.custom.authentication.class", WarehousePasswordCheck.class.getName());
    String authentication = login.required() ? "CUSTOM" : "NONE";
    // Derby writes its log to the working directory unless told otherwise.
    if (System.getProperty("derby.stream.error.file") == null) {
      System.setProperty("derby.stream.error.file", absolute.resolve("derby.log").toString());
    }
    NetworkServerControl metastore = null;
    String connectionUrl =
        "jdbc:derby:;databaseName=" + absolute.resolve("metastore_db") + ";create=true";
    String driver = "org.apache.derby.jdbc.EmbeddedDriver";
    if (metastorePort > 0) {
      metastore = startMetastoreServer(metastorePort);
      connectionUrl = metastoreUrl(metastorePort, absolute) + ";create=true";
      driver = "org.apache.derby.jdbc.ClientDriver";
    }
    SparkSession spark =
        SparkSession.builder()
            .master(master)
            .appName("channel offline warehouse")
            .config("spark.ui.enabled", false)
            // The driver and block manager of this one-machine warehouse on loopback only.
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.warehouse.dir", absolute.resolve("warehouse").toUri().toString())
            .config("spark.hadoop.javax.jdo.option.ConnectionURL", connectionUrl)
            .config("spark.hadoop.javax.jdo.option.ConnectionDriverName", driver)
            .config("spark.hadoop.hive.server2.thrift.port", port)
            .config("spark.hadoop.hive.server2.thrift.bind.host", "localhost")
            .config("spark.hadoop.hive.server2.transport.mode", "binary")
            .config("spark.hadoop.hive.server2.authentication", authentication)
            .config(
                "spark.hadoop.hive.server2.custom.authentication.class",
                WarehousePasswordCheck.class.getName())
            .config("spark.sql.hive.thriftServer.singleSession", false)
            .config("spark.sql.shuffle.partitions", 4)
            // Each HiveServer2 session caches the file listing of the tables it read; a table
            // another session overwrote since (a run, for a reader such as calibration) would then
            // point at deleted files. Listing afresh per query costs little for hourly tables.
            .config("spark.sql.filesourceTableRelationCacheSize", 0)
            .enableHiveSupport()
            .getOrCreate();
    spark
        .sparkContext()
        .hadoopConfiguration()
        .set("hive.server2.thrift.port", Integer.toString(port));
    spark.sparkContext().hadoopConfiguration().set("hive.server2.authentication", authentication);
    spark
        .sparkContext()
        .hadoopConfiguration()
        .set("hive.server2.custom.authentication.class", WarehousePasswordCheck.class.getName());
    HiveThriftServer2 server = HiveThriftServer2.startWithContext(spark.sqlContext());
    HiveWarehouse warehouse = new HiveWarehouse(spark, server, port, metastore);
    warehouse.awaitListening(java.time.Duration.ofMinutes(1));
    return warehouse;
  }

  /** The metastore database as other processes reach it (Derby's network client driver). */
  public static String metastoreUrl(int metastorePort, Path dir) {
    return "jdbc:derby://localhost:"
        + metastorePort
        + "/"
        + dir.toAbsolutePath().resolve("metastore_db");
  }

  private static NetworkServerControl startMetastoreServer(int metastorePort) {
    try {
      NetworkServerControl derby =
          new NetworkServerControl(InetAddress.getByName("localhost"), metastorePort);
      derby.start(new PrintWriter(Writer.nullWriter()));
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
      while (true) {
        try {
          derby.ping();
          return derby;
        } catch (Exception notYet) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                "the metastore's Derby did not listen on port " + metastorePort, notYet);
          }
          Thread.sleep(100);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot start the metastore's Derby on port " + metastorePort + ": " + e.getMessage(), e);
    }
  }

  /** The Thrift server binds in a thread of its own; wait until it accepts connections. */
  private void awaitListening(java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress("localhost", port), 500);
        return;
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          close();
          throw new IllegalStateException("HiveServer2 did not listen on port " + port, e);
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** The JDBC URL of the HiveServer2 endpoint, for the {@code default} database. */
  public String jdbcUrl() {
    return "jdbc:hive2://localhost:" + port + "/default";
  }

  public SparkSession spark() {
    return spark;
  }

  @Override
  public void close() {
    server.stop();
    spark.stop();
    if (metastoreServer != null) {
      try {
        metastoreServer.shutdown();
      } catch (Exception e) {
        throw new IllegalStateException("stopping the metastore's Derby: " + e.getMessage(), e);
      }
    }
  }
}
