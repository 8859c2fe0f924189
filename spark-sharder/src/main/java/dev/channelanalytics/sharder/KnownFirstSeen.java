package dev.channelanalytics.sharder;

import dev.channelanalytics.common.records.FirstSeenRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded, least-recently-used memory of first sightings Elasticsearch is known to hold, so that
 * returning users (the bulk of traffic) cost neither a read nor a write.
 *
 * <p>Correctness never depends on it: an entry is only ever a sighting Elasticsearch has confirmed,
 * and stored sightings only get earlier, so a candidate that does not beat the entry cannot beat
 * what is stored. A candidate that beats it is written with its external version, which
 * Elasticsearch checks. One per JVM (the executors of a cluster keep theirs across batches).
 */
final class KnownFirstSeen {
  private static KnownFirstSeen shared;

  private final Map<String, FirstSeenRecord> entries;
  private long hits;
  private long misses;

  KnownFirstSeen(int capacity) {
    this.entries =
        new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, FirstSeenRecord> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The JVM's cache, created with {@code capacity} on first use. */
  static synchronized KnownFirstSeen shared(int capacity) {
    if (shared == null) {
      shared = new KnownFirstSeen(capacity);
    }
    return shared;
  }

  static String key(String productId, String deviceId) {
    return productId + '\n' + deviceId;
  }

  synchronized FirstSeenRecord get(String productId, String deviceId) {
    FirstSeenRecord r = entries.get(key(productId, deviceId));
    if (r == null) {
      misses++;
    } else {
      hits++;
    }
    return r;
  }

  synchronized void confirmed(FirstSeenRecord record) {
    entries.put(key(record.productId(), record.deviceId()), record);
  }

  synchronized void forget(String productId, String deviceId) {
    entries.remove(key(productId, deviceId));
  }

  synchronized int size() {
    return entries.size();
  }
}
