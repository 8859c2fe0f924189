package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The warehouse starts with a real metastore and a real HiveServer2 endpoint; a table written and
 * partitioned over Hive JDBC reads back, is in the metastore another client reaches over the
 * network, and survives a restart of the warehouse on the same folder.
 */
class HiveWarehouseITCase {
  @RegisterExtension static final HiveExtension HIVE = new HiveExtension();

  @Test
  void tablesWrittenOverHiveJdbcReadBackAndOutliveARestart() throws Exception {
    HIVE.sql(
        "CREATE TABLE probe (k STRING, v BIGINT) PARTITIONED BY (dt STRING, hour STRING)"
            + " STORED AS PARQUET");
    HIVE.sql("INSERT INTO probe PARTITION (dt='2026-11-23', hour='10') VALUES ('a', 1), ('b', 2)");
    assertThat(HIVE.sql("SELECT sum(v), count(*) FROM probe WHERE dt='2026-11-23'"))
        .containsExactly(List.of(3L, 2L));
    // Another client reaches the metastore itself over the network and finds the table.
    try (Connection metastore = DriverManager.getConnection(HIVE.metastoreUrl());
        Statement m = metastore.createStatement();
        ResultSet tables = m.executeQuery("SELECT TBL_NAME FROM APP.TBLS")) {
      List<String> names = new ArrayList<>();
      while (tables.next()) {
        names.add(tables.getString(1));
      }
      assertThat(names).contains("probe");
    }

    HIVE.restart();
    assertThat(HIVE.sql("SHOW PARTITIONS probe")).containsExactly(List.of("dt=2026-11-23/hour=10"));
  }
}
