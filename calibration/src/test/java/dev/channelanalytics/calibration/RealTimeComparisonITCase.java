package dev.channelanalytics.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.calibration.UserDifference.Kind;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.KeywordOrder;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.store.SortedScan;
import dev.channelanalytics.testing.ElasticsearchExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The comparison against a real Elasticsearch: an hour of first sightings written as the sharder
 * writes them, then damaged (documents deleted, rewritten in a later minute or with another
 * channel), is found to differ in exactly the damaged users, reading the store a page at a time in
 * the order the offline side lists them.
 */
class RealTimeComparisonITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final long HOUR = 1_795_428_000_000L;

  @Test
  void damagedUsersAndOnlyThoseDifferAcrossMoreThanOnePage() {
    try (ElasticsearchConnection es =
        ElasticsearchConnection.open(
            ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(30)))) {
      FirstSeenStore store =
          new FirstSeenStore(es, "fs-" + UUID.randomUUID().toString().substring(0, 8) + "-", 1, 0);
      store.ensureProductIndex("浏览器");
      Random random = new Random(3);
      TreeMap<String, FirstSeenRecord> offline = new TreeMap<>(KeywordOrder.INSTANCE);
      List<FirstSeenStore.Write> writes = new ArrayList<>();
      for (int i = 0; i < SortedScan.PAGE + 1_234; i++) {
        // Device ids beyond U+FFFF too, where UTF-16 order and the stores' order differ.
        String device = (i % 3 == 0 ? "\uD83D\uDE00" : i % 3 == 1 ? "\uFFFD" : "d") + i;
        FirstSeenRecord r =
            new FirstSeenRecord(
                "浏览器", device, HOUR + random.nextInt(3_600_000), "ch" + random.nextInt(40), "ak");
        offline.put(device, r);
        writes.add(new FirstSeenStore.Write(r, false));
      }
      store.write(writes, 1L);
      assertThat(compare(store, offline, new ArrayList<>()).equal()).isTrue();

      List<FirstSeenRecord> all = new ArrayList<>(offline.values());
      List<String> deleted = List.of(all.get(5).deviceId(), all.get(5_100).deviceId());
      assertThat(store.delete(List.of(all.get(5), all.get(5_100)))).isEqualTo(2);
      FirstSeenRecord moved = all.get(77);
      FirstSeenRecord rechannelled = all.get(4_999);
      store.delete(List.of(moved, rechannelled));
      FirstSeenRecord extra = new FirstSeenRecord("浏览器", "zz-extra", HOUR + 1, "organic", "ak");
      store.write(
          List.of(
              // An earlier t0 in another minute: a higher version than the deleted one's.
              new FirstSeenStore.Write(
                  new FirstSeenRecord(
                      "浏览器", moved.deviceId(), HOUR - 120_000, moved.channel(), "ak"),
                  false),
              // The start of its minute with another channel: a version as high or higher.
              new FirstSeenStore.Write(
                  new FirstSeenRecord(
                      "浏览器",
                      rechannelled.deviceId(),
                      rechannelled.minute(),
                      rechannelled.channel() + "-x",
                      "ak"),
                  true),
              new FirstSeenStore.Write(extra, false)),
          2L);

      List<UserDifference> differences = new ArrayList<>();
      FirstSeenComparison.Result result =
          FirstSeenComparison.compare(
              offline.values().iterator(),
              store.stored("浏览器", HOUR - 3_600_000, HOUR + 3_600_000),
              differences::add);
      Map<String, Kind> found = new TreeMap<>();
      differences.forEach(d -> found.put(d.deviceId(), d.kind()));
      assertThat(found)
          .containsOnly(
              Map.entry(deleted.get(0), Kind.MISSING_IN_REAL_TIME),
              Map.entry(deleted.get(1), Kind.MISSING_IN_REAL_TIME),
              Map.entry(moved.deviceId(), Kind.OTHER_MINUTE),
              Map.entry(rechannelled.deviceId(), Kind.OTHER_CHANNEL),
              Map.entry(extra.deviceId(), Kind.EXTRA_IN_REAL_TIME));
      assertThat(result.offlineUsers()).isEqualTo(offline.size());
      assertThat(result.realTimeUsers()).isEqualTo(offline.size() - 2 + 1);
      assertThat(result.errorRate()).isEqualTo(5.0 / offline.size());
    }
  }

  private static FirstSeenComparison.Result compare(
      FirstSeenStore store, TreeMap<String, FirstSeenRecord> offline, List<UserDifference> out) {
    return FirstSeenComparison.compare(
        offline.values().iterator(),
        store.stored("浏览器", HOUR - 3_600_000, HOUR + 3_600_000),
        out::add);
  }
}
