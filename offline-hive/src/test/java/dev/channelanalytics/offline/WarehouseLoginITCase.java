package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.security.WarehouseLogin;
import dev.channelanalytics.testing.FreePorts;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warehouse started with a password: HiveServer2 runs SQL for that login only; no password, a
 * wrong one or another user is refused before any statement, so no other local user can read files
 * (the keyring) or add jars through it.
 */
class WarehouseLoginITCase {
  @TempDir Path dir;

  @Test
  void onlyTheConfiguredLoginRunsSql() throws Exception {
    WarehouseLogin login = new WarehouseLogin("channel", "warehouse-password-for-this-test");
    int port = FreePorts.next();
    String url = "jdbc:hive2://localhost:" + port + "/default";
    Class.forName("org.apache.hive.jdbc.HiveDriver");
    try (HiveWarehouse warehouse = HiveWarehouse.start(dir, port, 0, "local[1]", login)) {
      try (WarehouseSession session = WarehouseSession.connect(url, login);
          Connection c = DriverManager.getConnection(url, login.user(), login.password());
          ResultSet r = c.createStatement().executeQuery("SELECT 41 + 1")) {
        assertThat(r.next()).isTrue();
        assertThat(r.getInt(1)).isEqualTo(42);
        assertThat(session).isNotNull();
      }
      for (String[] wrong :
          new String[][] {
            {"channel", ""},
            {"channel", "not-the-password"},
            {"anonymous", login.password()},
            {"", ""}
          }) {
        assertThatThrownBy(
                () -> {
                  try (Connection c = DriverManager.getConnection(url, wrong[0], wrong[1])) {
                    c.createStatement().executeQuery("SELECT 1").close();
                  }
                })
            .as("login %s / %s", wrong[0], wrong[1].isEmpty() ? "(none)" : "(wrong)")
            .isInstanceOf(SQLException.class);
      }
    }
  }
}
