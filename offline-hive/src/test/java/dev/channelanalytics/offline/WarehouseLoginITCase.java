package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.SecretFiles;
import dev.channelanalytics.common.security.WarehouseLogin;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.TestKeyring;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warehouse service as the local stack runs it (its own JVM), with {@code
 * offline.jdbc-password} read from an owner-only file: HiveServer2 runs SQL for that login only; no
 * password, a wrong one or another user is refused before any statement, so no other local user can
 * read files (the keyring) or add jars through it.
 */
class WarehouseLoginITCase {
  @TempDir Path dir;

  @Test
  void onlyTheConfiguredLoginRunsSql() throws Exception {
    Path passwordFile = dir.resolve("warehouse-password");
    SecretFiles.create(passwordFile, "warehouse-password-for-this-test\n");
    ChannelConfig config =
        PipelineFixture.withWarehouse(
            PipelineFixture.withLocalAccess(
                ChannelConfig.load(null, dir, Map.of(), new Properties())
                    .with(Setting.STATE_DIR, dir.resolve("state").toString())
                    .with(Setting.KEYRING_FILE, TestKeyring.write(dir).file().toString())
                    .with(Setting.OFFLINE_JDBC_PASSWORD, "file:" + passwordFile),
                dir),
            "768m");
    WarehouseLogin login = WarehouseLogin.of(config);
    assertThat(login.password()).isEqualTo("warehouse-password-for-this-test");
    String url = config.get(Setting.OFFLINE_JDBC_URL);
    java.util.List<ManagedProcess> started = new java.util.ArrayList<>();
    try {
      PipelineFixture.startHealthy(
          LocalJobs.warehouse(config, Distributions.ofThisBuild(), dir.resolve("offline")),
          started::add);
      Class.forName("org.apache.hive.jdbc.HiveDriver");
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
    } finally {
      started.forEach(p -> p.stop(Duration.ofSeconds(30)));
    }
  }
}
