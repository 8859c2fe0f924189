package dev.channelanalytics.bench;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.WarehouseLogin;
import dev.channelanalytics.local.Distributions;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Writes days of history into a warehouse over its HiveServer2 endpoint, as the offline runs of
 * those hours would have left it: first sightings in the hourly partitions of {@code
 * dws_first_seen_hourly}, one distinct user each. The offline bench uses it to run one hour after
 * 1, 7 and 30 days of history without archiving 30 days of logs first.
 *
 * <p>The Hive JDBC driver is not on the bench's classpath: it is loaded from the calibration
 * service's, which has it, as that service finds it at run time.
 */
final class HistorySeed implements AutoCloseable {
  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;

  private final Connection connection;
  private final URLClassLoader loader;
  private int seededDays;
  private long seededUsers;

  private HistorySeed(Connection connection, URLClassLoader loader) {
    this.connection = connection;
    this.loader = loader;
  }

  static HistorySeed connect(ChannelConfig config) throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry :
        Distributions.ofThisBuild().calibrationClasspath().split(File.pathSeparator)) {
      urls.add(new File(entry).toURI().toURL());
    }
    URLClassLoader loader =
        new URLClassLoader(urls.toArray(URL[]::new), HistorySeed.class.getClassLoader());
    Driver driver =
        (Driver)
            Class.forName("org.apache.hive.jdbc.HiveDriver", true, loader)
                .getDeclaredConstructor()
                .newInstance();
    WarehouseLogin login = WarehouseLogin.of(config);
    Properties props = new Properties();
    props.setProperty("user", login.user());
    props.setProperty("password", login.password());
    Connection c = driver.connect(config.get(Setting.OFFLINE_JDBC_URL), props);
    try (Statement s = c.createStatement()) {
      s.execute("SET spark.sql.session.timeZone=UTC");
      s.execute("SET hive.exec.dynamic.partition.mode=nonstrict");
    }
    return new HistorySeed(c, loader);
  }

  /**
   * Extends the history to the {@code days} days that end an hour before {@code hour}, at {@code
   * usersPerDay} users a day; returns the users of history now.
   */
  long seedDays(Instant hour, int days, long usersPerDay) throws SQLException {
    long end = hour.toEpochMilli() - HOUR;
    for (int d = seededDays; d < days; d++) {
      long dayEnd = end - d * DAY;
      long dayStart = dayEnd - DAY;
      long started = System.nanoTime();
      // One user every DAY / usersPerDay ms, ids numbered across days so none repeats.
      String sql =
          String.format(
              Locale.ROOT,
              "INSERT INTO dws_first_seen_hourly PARTITION (dt, hour)"
                  + " SELECT 'history', concat('h-', CAST(id AS STRING)), t0,"
                  + " concat('channel_', CAST(id %% 10 AS STRING)), 'ak_h',"
                  + " date_format(timestamp_millis(t0), 'yyyy-MM-dd'),"
                  + " date_format(timestamp_millis(t0), 'HH')"
                  + " FROM (SELECT id, %d + (id - %d) * %d DIV %d AS t0 FROM range(%d, %d)) u",
              dayStart,
              seededUsers,
              DAY,
              usersPerDay,
              seededUsers,
              seededUsers + usersPerDay);
      try (Statement s = connection.createStatement()) {
        s.execute(sql);
      }
      seededUsers += usersPerDay;
      seededDays = d + 1;
      System.out.printf(
          "history: day %d (%s) seeded in %.1f s%n",
          d + 1,
          ZonedDateTime.ofInstant(Instant.ofEpochMilli(dayStart), ZoneOffset.UTC).toLocalDate(),
          (System.nanoTime() - started) / 1e9);
    }
    return seededUsers;
  }

  /**
   * Makes the next run rebuild the published sightings from every hour, as a warehouse never
   * published does: the history was not merged into them.
   */
  void forgetPublished() throws SQLException {
    String slot = "a";
    try (Statement s = connection.createStatement();
        ResultSet r = s.executeQuery("SELECT slot FROM etl_published")) {
      if (r.next() && "b".equals(r.getString(1))) {
        slot = "b";
      }
    }
    try (Statement s = connection.createStatement()) {
      s.execute(
          "INSERT OVERWRITE TABLE etl_published SELECT CAST(NULL AS TIMESTAMP), '" + slot + "'");
    }
  }

  @Override
  public void close() throws Exception {
    try {
      connection.close();
    } finally {
      loader.close();
    }
  }
}
