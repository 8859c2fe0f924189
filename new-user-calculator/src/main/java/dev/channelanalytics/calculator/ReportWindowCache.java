package dev.channelanalytics.calculator;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The report rows the API answered lately, with their statuses, per product, granularity, window
 * and channel. Every live dashboard asks again for the same windows on every push, and reading a
 * window's rows and finality from Elasticsearch is most of an answer's cost.
 *
 * <p>Rows change only when this calculator writes them, after which it calls {@link #changed}: kept
 * rows are never older than the store's. Statuses also change when calibration marks buckets final,
 * from its own process, which this one does not hear of: an answer is kept at most {@code maxAge}
 * (a second), so a bucket shows final at most that long after calibration proved it. Requests for a
 * window no one has read yet wait for one read instead of each making their own.
 *
 * @param <V> what is kept of a window's answer
 */
final class ReportWindowCache<V> {
  /** One answer's question; {@code maxRows} is part of it, since it decides whether rows fail. */
  record Window(
      String product, Granularity granularity, long from, long to, String channel, int maxRows) {}

  private record Entry<V>(long generation, long readAt, CompletableFuture<V> rows) {}

  private final Map<String, Long> generations = new ConcurrentHashMap<>();
  private final Map<Window, Entry<V>> entries;
  private final long maxAgeNanos;
  private final LongSupplier nanoTime;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();

  /**
   * Keeps at most {@code capacity} windows (the least recently asked for leaving first), each at
   * most {@code maxAge}; {@code nanoTime} is the clock ({@code System::nanoTime}).
   */
  ReportWindowCache(int capacity, Duration maxAge, LongSupplier nanoTime) {
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoTime = nanoTime;
    this.entries =
        new LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Window, Entry<V>> eldest) {
            return size() > capacity;
          }
        };
  }

  /**
   * The answer of {@code window}: the kept one when no recompute of its product came since it was
   * read and it is younger than the maximum age, else what {@code read} returns now (a failure is
   * passed on and not kept).
   */
  V answer(Window window, Supplier<V> read) {
    // Read before the store is: a recompute that ends during the read makes the entry stale.
    long generation = generations.getOrDefault(window.product(), 0L);
    long now = nanoTime.getAsLong();
    Entry<V> entry;
    boolean mine = false;
    synchronized (entries) {
      entry = entries.get(window);
      if (entry == null
          || entry.generation() != generation
          || now - entry.readAt() >= maxAgeNanos) {
        entry = new Entry<>(generation, now, new CompletableFuture<>());
        entries.put(window, entry);
        mine = true;
      }
    }
    if (mine) {
      misses.incrementAndGet();
      try {
        entry.rows().complete(read.get());
      } catch (RuntimeException e) {
        entry.rows().completeExceptionally(e);
        synchronized (entries) {
          entries.remove(window, entry);
        }
        throw e;
      }
    } else {
      hits.incrementAndGet();
    }
    try {
      return entry.rows().join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** The reports of {@code products} were just recomputed: their kept windows are stale. */
  void changed(Set<String> products) {
    for (String p : products) {
      generations.merge(p, 1L, Long::sum);
    }
  }

  /** Counts answers kept and read ({@code calculator_report_windows_total{source}}). */
  ReportWindowCache<V> bindTo(MeterRegistry registry) {
    FunctionCounter.builder("calculator.report.windows", hits, AtomicLong::get)
        .description("report windows the API answered, from kept answers or by reading the store")
        .tag("source", "kept")
        .register(registry);
    FunctionCounter.builder("calculator.report.windows", misses, AtomicLong::get)
        .description("report windows the API answered, from kept answers or by reading the store")
        .tag("source", "store")
        .register(registry);
    return this;
  }
}
