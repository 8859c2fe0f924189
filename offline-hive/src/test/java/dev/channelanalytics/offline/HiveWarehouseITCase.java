package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warehouse starts with a real metastore and a real HiveServer2 endpoint; a table written and
 * partitioned over Hive JDBC reads back, is in the metastore another client reaches over the
 * network, and survives a restart of the warehouse on the same folder.
 */
class HiveWarehouseITCase {
  @TempDir Path dir;

  @Test
  void tablesWrittenOverHiveJdbcReadBackAndOutliveARestart() throws Exception {
    int port = WarehousePort.shared();
    try (HiveWarehouse warehouse =
            HiveWarehouse.start(dir, port, WarehousePort.metastore(), "local[2]");
        Connection c = DriverManager.getConnection(warehouse.jdbcUrl(), "", "");
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE probe (k STRING, v BIGINT) PARTITIONED BY (dt STRING, hour STRING)"
              + " STORED AS PARQUET");
      s.execute(
          "INSERT INTO probe PARTITION (dt='2026-11-23', hour='10') VALUES ('a', 1), ('b', 2)");
      try (ResultSet r =
          s.executeQuery("SELECT sum(v), count(*) FROM probe WHERE dt='2026-11-23'")) {
        assertThat(r.next()).isTrue();
        assertThat(r.getLong(1)).isEqualTo(3);
        assertThat(r.getLong(2)).isEqualTo(2);
      }
      // Another client reaches the metastore itself over the network and finds the table.
      try (Connection metastore =
              DriverManager.getConnection(
                  HiveWarehouse.metastoreUrl(WarehousePort.metastore(), dir));
          Statement m = metastore.createStatement();
          ResultSet tables = m.executeQuery("SELECT TBL_NAME FROM APP.TBLS")) {
        java.util.List<String> names = new java.util.ArrayList<>();
        while (tables.next()) {
          names.add(tables.getString(1));
        }
        assertThat(names).contains("probe");
      }
    }
    try (HiveWarehouse warehouse =
            HiveWarehouse.start(
                dir, WarehousePort.shared(), WarehousePort.metastore(), "local[2]");
        Connection c = DriverManager.getConnection(warehouse.jdbcUrl(), "", "");
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SHOW PARTITIONS probe")) {
      assertThat(r.next()).isTrue();
      assertThat(r.getString(1)).isEqualTo("dt=2026-11-23/hour=10");
    }
  }
}
