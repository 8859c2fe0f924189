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

  static synchronized int shared() {
    if (port == 0) {
      port = FreePorts.next();
    }
    return port;
  }
}
