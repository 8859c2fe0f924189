package dev.channelanalytics.sharder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.records.RecordOrigin;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KnownFirstSeenTest {

  @Test
  void leastRecentlyUsedEntryIsEvictedAtCapacity() {
    KnownFirstSeen cache = new KnownFirstSeen(2);
    cache.confirmed(new FirstSeenRecord("p", "a", 1, "c", "k"));
    cache.confirmed(new FirstSeenRecord("p", "b", 2, "c", "k"));
    assertThat(cache.get("p", "a")).isNotNull();
    cache.confirmed(new FirstSeenRecord("p", "c", 3, "c", "k"));
    assertThat(cache.get("p", "b")).isNull();
    assertThat(cache.get("p", "a")).isNotNull();
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void forgottenEntryIsGone() {
    KnownFirstSeen cache = new KnownFirstSeen(10);
    cache.confirmed(new FirstSeenRecord("p", "a", 1, "c", "k"));
    cache.forget("p", "a");
    assertThat(cache.get("p", "a")).isNull();
  }

  private static ParsedBatch batch(String device, String channel, long... times) {
    List<DecodedEvent> events = new java.util.ArrayList<>();
    for (int i = 0; i < times.length; i++) {
      events.add(new DecodedEvent(i, "launch", times[i], true));
    }
    return new ParsedBatch(
        "game",
        device,
        channel,
        "ak_1",
        0,
        "src",
        "k1",
        null,
        null,
        new RecordOrigin("parsed", 0, 0, 0),
        events);
  }

  @Test
  void earliestPerUserTakesTheEarliestEventAndBreaksTiesByChannel() {
    Map<String, FirstSeenRecord> best =
        FirstSeenShardWriter.earliestPerUser(
            List.of(
                batch("d1", "store_b", 5_000, 3_000),
                batch("d1", "store_c", 4_000),
                batch("d1", "store_a", 3_000),
                batch("d2", "x", 9_000)));
    assertThat(best).hasSize(2);
    FirstSeenRecord d1 = best.get(KnownFirstSeen.key("game", "d1"));
    assertThat(d1.t0()).isEqualTo(3_000);
    assertThat(d1.channel()).isEqualTo("store_a");
    assertThat(best.get(KnownFirstSeen.key("game", "d2")).t0()).isEqualTo(9_000);
  }
}
