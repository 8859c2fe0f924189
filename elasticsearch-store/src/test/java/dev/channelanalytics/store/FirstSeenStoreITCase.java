package dev.channelanalytics.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.FreePorts;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store against a real Elasticsearch: the version rule, marks, paging, and giving up; and the
 * final buckets proven several periods at once.
 */
class FirstSeenStoreITCase {
  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final long T = 1_795_428_000_000L;
  private static ElasticsearchConnection es;

  @BeforeAll
  static void connect() {
    es =
        ElasticsearchConnection.open(ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(30)));
  }

  @AfterAll
  static void disconnect() {
    es.close();
  }

  private static FirstSeenStore freshStore() {
    return new FirstSeenStore(es, "fs-" + UUID.randomUUID().toString().substring(0, 8) + "-", 1, 0);
  }

  private static List<FirstSeenStore.WriteResult> write(
      FirstSeenStore store, FirstSeenRecord r, boolean tie) {
    return store.write(List.of(new FirstSeenStore.Write(r, tie)), 1L);
  }

  @Test
  void laterSightingConflictsEarlierOneOverwritesAndTiesOverwriteOnlyWhenAllowed() {
    FirstSeenStore store = freshStore();
    store.ensureProductIndex("browser");
    FirstSeenRecord first = new FirstSeenRecord("browser", "d1", T + 5_000, "xiaomi", "ak_1");
    assertThat(write(store, first, false)).containsExactly(FirstSeenStore.WriteResult.WRITTEN);
    assertThat(write(store, new FirstSeenRecord("browser", "d1", T + 6_000, "aaa", "ak_1"), false))
        .containsExactly(FirstSeenStore.WriteResult.CONFLICT);
    FirstSeenRecord tie = new FirstSeenRecord("browser", "d1", T + 5_000, "huawei", "ak_1");
    assertThat(write(store, tie, false)).containsExactly(FirstSeenStore.WriteResult.CONFLICT);
    assertThat(store.get("browser", List.of("d1"))).containsEntry("d1", first);
    assertThat(write(store, tie, true)).containsExactly(FirstSeenStore.WriteResult.WRITTEN);
    FirstSeenRecord earlier = new FirstSeenRecord("browser", "d1", T, "zzz", "ak_2");
    assertThat(write(store, earlier, false)).containsExactly(FirstSeenStore.WriteResult.WRITTEN);
    assertThat(store.get("browser", List.of("d1", "absent"))).isEqualTo(Map.of("d1", earlier));
    assertThat(store.get("never-created", List.of("d1"))).isEmpty();
  }

  @Test
  void aDeleteTakesOnlyTheSightingGivenAndTheSameSightingCanBeWrittenBackAtOnce() {
    FirstSeenStore store = freshStore();
    store.ensureProductIndex("p");
    FirstSeenRecord stored = new FirstSeenRecord("p", "d", T + 5_000, "huawei", "ak");
    write(store, stored, false);
    FirstSeenRecord later = new FirstSeenRecord("p", "d", T + 9_000, "huawei", "ak");
    assertThat(store.delete(List.of(later))).as("not the stored sighting").isZero();
    assertThat(store.get("p", List.of("d"))).containsEntry("d", stored);
    assertThat(store.delete(List.of(stored, new FirstSeenRecord("p", "absent", T, "c", "a"))))
        .isEqualTo(1);
    assertThat(store.get("p", List.of("d"))).isEmpty();
    assertThat(write(store, later, false))
        .as("the tombstone keeps the deleted version for a while")
        .containsExactly(FirstSeenStore.WriteResult.CONFLICT);
    assertThat(write(store, stored, true)).containsExactly(FirstSeenStore.WriteResult.WRITTEN);
  }

  @Test
  void longDeviceIdAndNonAsciiProductRoundTrip() {
    FirstSeenStore store = freshStore();
    String product = "浏览器 Browser";
    String device = "é".repeat(128);
    store.ensureProductIndex(product);
    store.ensureProductIndex(product);
    FirstSeenRecord r = new FirstSeenRecord(product, device, T, "organic", "ak_1");
    assertThat(write(store, r, false)).containsExactly(FirstSeenStore.WriteResult.WRITTEN);
    assertThat(store.get(product, List.of(device))).containsEntry(device, r);
    List<FirstSeenRecord> all = new ArrayList<>();
    store.forEachStored(null, Long.MIN_VALUE, Long.MAX_VALUE, all::add);
    assertThat(all).containsExactly(r);
  }

  @Test
  void scanPagesThroughEveryDocumentInKeywordOrderWithinTheT0Range() {
    FirstSeenStore store = freshStore();
    int n = SortedScan.PAGE * 2 + 17;
    List<FirstSeenStore.Write> writes = new ArrayList<>();
    TreeMap<String, FirstSeenRecord> expected = new TreeMap<>();
    for (String product : List.of("a", "b")) {
      store.ensureProductIndex(product);
      for (int i = 0; i < n / 2; i++) {
        FirstSeenRecord r =
            new FirstSeenRecord(
                product, String.format("dev-%06d", i), T + i * 1_000L, "c" + i % 7, "ak");
        writes.add(new FirstSeenStore.Write(r, false));
        if (r.t0() >= T + 1_000_000 && r.t0() < T + 8_000_000) {
          expected.put(product + "|" + r.deviceId(), r);
        }
      }
    }
    assertThat(store.write(writes, 1L)).containsOnly(FirstSeenStore.WriteResult.WRITTEN);
    List<FirstSeenRecord> seen = new ArrayList<>();
    store.forEachStored(null, T + 1_000_000, T + 8_000_000, seen::add);
    assertThat(seen).containsExactlyElementsOf(expected.values());
    List<FirstSeenRecord> onlyB = new ArrayList<>();
    store.forEachStored("b", Long.MIN_VALUE, Long.MAX_VALUE, onlyB::add);
    assertThat(onlyB).hasSize(n / 2).allMatch(r -> r.productId().equals("b"));
  }

  @Test
  void compositePagesCountEveryBucketPastOnePage() {
    FirstSeenStore store = freshStore();
    store.ensureProductIndex("p");
    int channels = CompositePages.PAGE * 2 + 3;
    List<FirstSeenStore.Write> writes = new ArrayList<>();
    for (int i = 0; i < channels * 2; i++) {
      writes.add(
          new FirstSeenStore.Write(
              new FirstSeenRecord("p", "d" + i, T, String.format("ch-%05d", i % channels), "ak"),
              false));
    }
    store.write(writes, 1L);
    es.refresh(store.alias());
    TreeMap<String, Long> counted = usersPerChannel(store.indexOf("p"));
    assertThat(counted).hasSize(channels);
    assertThat(counted.values()).containsOnly(2L);
    assertThat(usersPerChannel(store.indexOf("missing"))).isEmpty();
  }

  private static TreeMap<String, Long> usersPerChannel(String index) {
    TreeMap<String, Long> counted = new TreeMap<>();
    CompositePages.forEach(
        es,
        index,
        Query.of(q -> q.matchAll(m -> m)),
        List.of(CompositePages.terms("channel", FirstSeenIndex.CHANNEL)),
        (key, users) -> counted.put(key.get("channel").stringValue(), users));
    return counted;
  }

  @Test
  void marksAreReadBackFromTheirTimeOnAndWorkDoneAgainOverwritesItsMarks() {
    FirstSeenStore store = freshStore();
    assertThat(store.changedSince(0)).isEmpty();
    store.markChanged(Map.of("p", Set.of(T, T + 60_000)), 1_000, "batch-1|0");
    store.markChanged(Map.of("p", Set.of(T + 120_000), "q", Set.of(T)), 2_000, "batch-2|0");
    store.markChanged(Map.of("p", Set.of(T + 180_000)), 2_000, "batch-2|0");
    assertThat(store.changedSince(0))
        .containsOnlyKeys("p", "q")
        .satisfies(m -> assertThat(m.get("p")).containsExactly(T, T + 60_000, T + 180_000));
    assertThat(store.changedSince(1_500).get("p")).containsExactly(T + 180_000);
    assertThat(store.changedSince(Long.MIN_VALUE)).isEqualTo(store.changedSince(0));
  }

  @Test
  void aConsumedMarkIsGoneUnlessWrittenAgainSinceItWasReadAndFreshPendingMarksWait() {
    FirstSeenStore store = freshStore();
    store.markChanged(Map.of("p", Set.of(T)), 1_000, "batch-1|0");
    store.markPending(Map.of("p", Set.of(T + 60_000)), 2_000, "batch-2|0");
    // The pending mark is fresh until 2,000 ms: only the ready one is to recompute.
    List<FirstSeenStore.ChangeMark> first = store.marksToRecompute(100, 2_000);
    assertThat(first).extracting(FirstSeenStore.ChangeMark::minutes).containsExactly(List.of(T));
    // A pending mark older than the allowance is recomputed too (its writer died).
    assertThat(store.marksToRecompute(100, 2_001)).hasSize(2);

    // Written again after it was read: consuming the read version leaves it for the next pass.
    store.markChanged(Map.of("p", List.of(T, T + 120_000)), 3_000, "batch-1|0");
    assertThat(store.consume(first)).isEqualTo(1);
    List<FirstSeenStore.ChangeMark> again = store.marksToRecompute(100, 2_000);
    assertThat(again)
        .extracting(FirstSeenStore.ChangeMark::minutes)
        .containsExactly(List.of(T, T + 120_000));
    assertThat(store.consume(again)).isZero();

    // The pending one made ready by its work is read and consumed; nothing is left.
    store.markChanged(Map.of("p", Set.of(T + 60_000)), 4_000, "batch-2|0");
    List<FirstSeenStore.ChangeMark> last = store.marksToRecompute(100, 0);
    assertThat(last).hasSize(1);
    assertThat(store.consume(last)).isZero();
    assertThat(store.marksToRecompute(100, Long.MAX_VALUE)).isEmpty();
  }

  @Test
  void marksTyingOnTimeAndProductAcrossAPageBoundaryAreAllRead() {
    FirstSeenStore store = freshStore();
    int marks = SortedScan.PAGE + 3;
    java.util.TreeSet<Long> minutes = new java.util.TreeSet<>();
    for (int i = 0; i < marks; i++) {
      long minute = T + i * 60_000L;
      minutes.add(minute);
      // Every mark at the same time for the same product: only the work tells them apart.
      store.markChanged(Map.of("p", Set.of(minute)), 5_000, "batch-" + i + "|0");
    }
    assertThat(store.changedSince(5_000).get("p")).isEqualTo(minutes);
  }

  @Test
  void aCallerWithPatienceGivesUpOnAnUnreachableNodeAndSaysSo() {
    URI nobody = URI.create("http://localhost:" + FreePorts.next());
    try (ElasticsearchConnection down =
        ElasticsearchConnection.open(nobody, RetryPolicy.upTo(Duration.ofSeconds(1)))) {
      FirstSeenStore store = new FirstSeenStore(down, "fs-down-", 1, 0);
      assertThatThrownBy(() -> store.get("p", List.of("d")))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("within PT1S");
    }
  }

  /**
   * A real partial answer: one index behind the alias cannot sort on the scan's key (its {@code
   * product_id} is text), so its shard fails while the others answer. The scan must refuse the
   * answer (retried, then given up) and never hand over the documents of the shards that worked.
   */
  @Test
  void aScanWhoseAnswerLacksAFailedShardGivesUpRatherThanUseTheRest() {
    String prefix = "fs-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
    store.ensureProductIndex("p");
    write(store, new FirstSeenRecord("p", "d1", T, "c", "ak"), false);
    es.createIndexIfAbsent(
        prefix + "broken",
        "{\"mappings\":{\"properties\":{\"product_id\":{\"type\":\"text\"},"
            + "\"t0\":{\"type\":\"date\",\"format\":\"epoch_millis\"}}},"
            + "\"aliases\":{\""
            + store.alias()
            + "\":{}}}");
    // A document in range, so the shard is searched rather than skipped as unable to match.
    es.call(
        "index into the broken index",
        c ->
            c.index(
                i ->
                    i.index(prefix + "broken")
                        .id("x")
                        .document(Map.of("product_id", "x y", "t0", T))
                        .refresh(co.elastic.clients.elasticsearch._types.Refresh.True)));
    List<FirstSeenRecord> seen = new ArrayList<>();
    try (ElasticsearchConnection impatient =
        ElasticsearchConnection.open(
            ELASTICSEARCH.url(), RetryPolicy.upTo(Duration.ofSeconds(2)))) {
      FirstSeenStore scanning = new FirstSeenStore(impatient, prefix, 1, 0);
      assertThatThrownBy(
              () -> scanning.forEachStored(null, Long.MIN_VALUE, Long.MAX_VALUE, seen::add))
          .isInstanceOf(StoreUnavailableException.class)
          .hasStackTraceContaining("failed on 1 of 2 shards");
    }
    assertThat(seen).as("nothing of the partial answer was used").isEmpty();
  }

  @Test
  void aRefusalThatNoRetryCanCureFailsAtOnceWithTheReason() {
    FirstSeenStore store = freshStore();
    assertThatThrownBy(() -> es.createIndexIfAbsent("Upper-Case-Is-Invalid", "{}"))
        .isInstanceOf(IllegalStateException.class)
        .isNotInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("invalid_index_name_exception");
    assertThat(store.prefix()).startsWith("fs-");
  }

  @Test
  void periodsFinalisedTogetherDropOnlyTheirOwnStaleRows() {
    FinalBuckets finals =
        new FinalBuckets(es, "reports-" + UUID.randomUUID().toString().substring(0, 8));
    long hour = 3_600_000L;
    long h0 = T - T % hour;
    for (int h = 0; h < 3; h++) {
      long start = h0 + h * hour;
      finals.finalise(
          "p",
          "hour",
          start,
          start + hour,
          Map.of(
              new FinalBuckets.Key("hour", start, "a"), 2L,
              new FinalBuckets.Key("minute", start, "a"), 1L,
              new FinalBuckets.Key("minute", start + 60_000, "a"), 1L),
          1L);
    }
    // Hours 0 and 2 proven again together: hour 0 lost a minute, hour 2 gained a channel.
    finals.finalise(
        "p",
        "hour",
        List.of(
            new FinalBuckets.Period(
                h0,
                h0 + hour,
                Map.of(
                    new FinalBuckets.Key("hour", h0, "a"), 1L,
                    new FinalBuckets.Key("minute", h0, "a"), 1L)),
            new FinalBuckets.Period(
                h0 + 2 * hour,
                h0 + 3 * hour,
                Map.of(
                    new FinalBuckets.Key("hour", h0 + 2 * hour, "a"), 2L,
                    new FinalBuckets.Key("hour", h0 + 2 * hour, "b"), 1L,
                    new FinalBuckets.Key("minute", h0 + 2 * hour, "a"), 1L,
                    new FinalBuckets.Key("minute", h0 + 2 * hour, "b"), 1L,
                    new FinalBuckets.Key("minute", h0 + 2 * hour + 60_000, "a"), 1L))),
        2L);

    assertThat(finals.periods("p", "hour", h0, h0 + 3 * hour))
        .containsExactly(h0, h0 + hour, h0 + 2 * hour);
    Map<FinalBuckets.Key, Long> minutes = finals.values("p", "minute", h0, h0 + 3 * hour);
    assertThat(new TreeMap<>(keyed(minutes)))
        .as("hour 0 without its lost minute, hour 1 (not proven again) whole, hour 2 with b")
        .isEqualTo(
            new TreeMap<>(
                Map.of(
                    "minute " + h0 + " a", 1L,
                    "minute " + (h0 + hour) + " a", 1L,
                    "minute " + (h0 + hour + 60_000) + " a", 1L,
                    "minute " + (h0 + 2 * hour) + " a", 1L,
                    "minute " + (h0 + 2 * hour) + " b", 1L,
                    "minute " + (h0 + 2 * hour + 60_000) + " a", 1L)));
    assertThat(keyed(finals.values("p", "hour", h0, h0 + 3 * hour)))
        .isEqualTo(
            Map.of(
                "hour " + h0 + " a", 1L,
                "hour " + (h0 + hour) + " a", 2L,
                "hour " + (h0 + 2 * hour) + " a", 2L,
                "hour " + (h0 + 2 * hour) + " b", 1L));
  }

  private static Map<String, Long> keyed(Map<FinalBuckets.Key, Long> rows) {
    Map<String, Long> out = new TreeMap<>();
    rows.forEach((k, v) -> out.put(k.granularity() + " " + k.bucket() + " " + k.channel(), v));
    return out;
  }
}
