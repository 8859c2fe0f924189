package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * When the API's kept report windows are used and when the store is read again: a recompute of the
 * product (also one that ends during a read), a failure, another window; concurrent requests for
 * one window share one read.
 */
class ReportWindowCacheTest {
  private static final ReportWindowCache.Window DAY =
      new ReportWindowCache.Window("p", Granularity.HOUR, 0, 86_400_000, null, 100);
  private static final ReportWindowCache.Window OTHER =
      new ReportWindowCache.Window("q", Granularity.HOUR, 0, 86_400_000, null, 100);

  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicLong now = new AtomicLong();

  private ReportWindowCache<List<ReportStore.Row>> cache(int capacity) {
    return new ReportWindowCache<>(capacity, Duration.ofSeconds(1), now::get);
  }

  private List<ReportStore.Row> read(long users) {
    reads.incrementAndGet();
    return List.of(new ReportStore.Row(0, "store", users));
  }

  @Test
  void keptUntilTheProductIsRecomputed() {
    ReportWindowCache<List<ReportStore.Row>> cache = cache(16);
    assertThat(cache.answer(DAY, () -> read(1)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(1L);
    assertThat(cache.answer(DAY, () -> read(2)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(1L);
    assertThat(cache.answer(OTHER, () -> read(5)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(5L);
    assertThat(reads).hasValue(2);

    cache.changed(Set.of("p"));
    assertThat(cache.answer(DAY, () -> read(3)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(3L);
    assertThat(cache.answer(OTHER, () -> read(6)))
        .as("another product's windows stay")
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(5L);
    assertThat(reads).hasValue(3);
  }

  @Test
  void aRecomputeEndingDuringTheReadLeavesNothingStaleKept() {
    ReportWindowCache<List<ReportStore.Row>> cache = cache(16);
    cache.answer(
        DAY,
        () -> {
          List<ReportStore.Row> old = read(1);
          cache.changed(Set.of("p")); // the calculator wrote new rows while these were read
          return old;
        });
    assertThat(cache.answer(DAY, () -> read(2)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(2L);
  }

  @Test
  void keptAtMostItsMaximumAgeForTheStatusesCalibrationChanges() {
    ReportWindowCache<List<ReportStore.Row>> cache = cache(16);
    cache.answer(DAY, () -> read(1));
    now.set(999_999_999L);
    assertThat(cache.answer(DAY, () -> read(2)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(1L);
    now.set(1_000_000_000L);
    assertThat(cache.answer(DAY, () -> read(3)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(3L);
    assertThat(reads).hasValue(2);
  }

  @Test
  void aFailedReadIsPassedOnAndNotKept() {
    ReportWindowCache<List<ReportStore.Row>> cache = cache(16);
    assertThatThrownBy(
            () ->
                cache.answer(
                    DAY,
                    () -> {
                      throw new ReportStore.TooManyRows(100);
                    }))
        .isInstanceOf(ReportStore.TooManyRows.class);
    assertThat(cache.answer(DAY, () -> read(4)))
        .extracting(ReportStore.Row::newUsers)
        .containsExactly(4L);
  }

  @Test
  void theLeastRecentlyAskedWindowLeavesFirst() {
    ReportWindowCache<List<ReportStore.Row>> cache = cache(1);
    cache.answer(DAY, () -> read(1));
    cache.answer(OTHER, () -> read(2));
    cache.answer(DAY, () -> read(3));
    assertThat(reads).hasValue(3);
  }

  @Test
  void concurrentRequestsForOneWindowShareOneRead() throws Exception {
    ReportWindowCache<List<ReportStore.Row>> cache = cache(16);
    CountDownLatch reading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      Future<List<ReportStore.Row>> first =
          pool.submit(
              () ->
                  cache.answer(
                      DAY,
                      () -> {
                        reading.countDown();
                        try {
                          release.await();
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        return read(7);
                      }));
      assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
      List<Future<List<ReportStore.Row>>> others = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        others.add(pool.submit(() -> cache.answer(DAY, () -> read(8))));
      }
      release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS))
          .extracting(ReportStore.Row::newUsers)
          .containsExactly(7L);
      for (Future<List<ReportStore.Row>> f : others) {
        assertThat(f.get(10, TimeUnit.SECONDS))
            .extracting(ReportStore.Row::newUsers)
            .containsExactly(7L);
      }
      assertThat(reads).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }
}
