package dev.channelanalytics.offline;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.hive.thriftserver.HiveThriftServer2;

/**
 * The offline path's Hive warehouse on the embedded default: Spark SQL with Hive support, a
 * metastore and warehouse under one folder, and a HiveServer2 endpoint (Spark's Thrift server) on
 * loopback that any process reaches with the Hive JDBC driver. In production the same code points
 * at a real metastore ({@code hive.metastore.uris}) and a HiveServer2-compatible endpoint.
 *
 * <p>The metastore is Derby embedded in the warehouse folder: one process owns it, and every other
 * process shares the warehouse through the HiveServer2 endpoint. Hive caches its configuration per
 * JVM: a warehouse started again in the same JVM listens on the port the first one had, so a JVM (a
 * test run included) uses one port for all its warehouses.
 */
public final class HiveWarehouse implements AutoCloseable {
  private final SparkSession spark;
  private final HiveThriftServer2 server;
  private final int port;

  private HiveWarehouse(SparkSession spark, HiveThriftServer2 server, int port) {
    this.spark = spark;
    this.server = server;
    this.port = port;
  }

  /**
   * Starts Spark local with Hive support, its metastore in {@code dir/metastore_db} and tables in
   * {@code dir/warehouse}, and the Thrift server on {@code localhost:port}.
   */
  public static HiveWarehouse start(Path dir, int port, String master) {
    Path absolute = dir.toAbsolutePath();
    // Derby writes its log to the working directory unless told otherwise.
    if (System.getProperty("derby.stream.error.file") == null) {
      System.setProperty("derby.stream.error.file", absolute.resolve("derby.log").toString());
    }
    SparkSession spark =
        SparkSession.builder()
            .master(master)
            .appName("channel offline warehouse")
            .config("spark.ui.enabled", false)
            .config("spark.sql.warehouse.dir", absolute.resolve("warehouse").toUri().toString())
            .config(
                "spark.hadoop.javax.jdo.option.ConnectionURL",
                "jdbc:derby:;databaseName=" + absolute.resolve("metastore_db") + ";create=true")
            .config("spark.hadoop.hive.server2.thrift.port", port)
            .config("spark.hadoop.hive.server2.thrift.bind.host", "localhost")
            .config("spark.hadoop.hive.server2.transport.mode", "binary")
            .config("spark.sql.hive.thriftServer.singleSession", false)
            .config("spark.sql.shuffle.partitions", 4)
            .enableHiveSupport()
            .getOrCreate();
    spark
        .sparkContext()
        .hadoopConfiguration()
        .set("hive.server2.thrift.port", Integer.toString(port));
    HiveThriftServer2 server = HiveThriftServer2.startWithContext(spark.sqlContext());
    HiveWarehouse warehouse = new HiveWarehouse(spark, server, port);
    warehouse.awaitListening(java.time.Duration.ofMinutes(1));
    return warehouse;
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
  }
}
