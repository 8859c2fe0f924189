package dev.channelanalytics.offline;

import dev.channelanalytics.testing.FreePorts;

/** The one HiveServer2 port of this test JVM (Hive keeps the first port it was given). */
final class WarehousePort {
  private static int port;

  private WarehousePort() {}

  private static int metastore;

  /** The one metastore port of this test JVM (Hive keeps the first metastore it was given). */
  static synchronized int metastore() {
    if (metastore == 0) {
      metastore = FreePorts.next();
    }
    return metastore;
  }

  /** Offline settings for a test warehouse: hold 10 minutes, settle 15, first hour from Kafka. */
  static OfflineSettings settings(
      String jdbcUrl,
      String bootstrapServers,
      String rawTopic,
      String configTopic,
      java.nio.file.Path keyring,
      java.time.ZoneId zone) {
    return new OfflineSettings(
        jdbcUrl,
        bootstrapServers,
        rawTopic,
        configTopic,
        keyring,
        java.time.Duration.ofMinutes(10),
        zone,
        java.time.Duration.ofMinutes(15),
        java.util.Optional.empty());
  }

  static synchronized int shared() {
    if (port == 0) {
      port = FreePorts.next();
    }
    return port;
  }
}
