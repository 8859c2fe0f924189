package dev.channelanalytics.sharder;

import dev.channelanalytics.metrics.ServiceMetrics;
import dev.channelanalytics.store.RetryPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * The sharder's Prometheus metrics: Structured Streaming commits no consumer-group offsets and
 * Spark's own metrics know nothing of first sightings, so the job keeps its own registry, fed by
 * each micro-batch's outcome (on the driver, so the figures are the whole batch's, also on a
 * cluster) and by a {@link StreamingQueryListener} for what only the engine knows (the batch's
 * whole duration and how far its source is behind the newest offsets).
 *
 * <p>Every name starts {@code channel_sharder_}; the trigger is exported beside the batch duration
 * so that an alert can compare the two.
 */
final class SharderMetrics extends StreamingQueryListener {
  private final ServiceMetrics metrics = new ServiceMetrics("sharder");
  private final Counter batches;
  private final Counter records;
  private final Counter users;
  private final Counter written;
  private final Counter conflicts;
  private final Counter skippedKnown;
  private final Counter skippedStored;
  private final Counter unorderable;
  private final Counter foreign;
  private final Counter bucketsChanged;
  private final Timer batchDuration;
  private final AtomicLong lastBatchMillis = new AtomicLong();
  private final AtomicLong offsetsBehind = new AtomicLong();
  private final AtomicLong lastProgressMillis = new AtomicLong(System.currentTimeMillis());

  SharderMetrics(Duration trigger, IntSupplier restarts) {
    MeterRegistry r = metrics.registry();
    batches = counter(r, "channel_sharder_batches", "micro-batches with input");
    records = counter(r, "channel_sharder_records", "parsed batches read from parsed-events");
    users = counter(r, "channel_sharder_users", "distinct (product, device) pairs per batch");
    written = counter(r, "channel_sharder_first_seen_written", "first-seen documents written");
    conflicts =
        counter(
            r,
            "channel_sharder_first_seen_conflicts",
            "writes refused: an earlier sighting was stored");
    skippedKnown =
        Counter.builder("channel_sharder_first_seen_skipped")
            .tag("why", "known")
            .description("candidates not written: an earlier sighting was cached or stored")
            .register(r);
    skippedStored =
        Counter.builder("channel_sharder_first_seen_skipped").tag("why", "stored").register(r);
    unorderable =
        counter(r, "channel_sharder_unorderable", "users whose t0 external versions cannot order");
    foreign = counter(r, "channel_sharder_foreign_records", "records that are not parsed batches");
    bucketsChanged =
        counter(r, "channel_sharder_buckets_changed", "(product, minute) buckets marked changed");
    batchDuration =
        Timer.builder("channel_sharder_batch_duration")
            .description("the whole micro-batch, as the engine measured it")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(50))
            .maximumExpectedValue(Duration.ofMinutes(2))
            .register(r);
    Gauge.builder("channel_sharder_trigger_seconds", trigger, t -> t.toMillis() / 1000.0)
        .description("the micro-batch trigger interval")
        .register(r);
    Gauge.builder("channel_sharder_last_batch_seconds", lastBatchMillis, m -> m.get() / 1000.0)
        .register(r);
    Gauge.builder("channel_sharder_source_offsets_behind", offsetsBehind, AtomicLong::get)
        .description("most offsets a partition of the last batch's source was behind the newest")
        .register(r);
    Gauge.builder(
            "channel_sharder_last_progress_age_seconds",
            lastProgressMillis,
            m -> (System.currentTimeMillis() - m.get()) / 1000.0)
        .description("since the query last reported progress (a batch or an idle trigger)")
        .register(r);
    FunctionCounter.builder("channel_sharder_query_restarts", restarts, IntSupplier::getAsInt)
        .description("times the query was started again after it failed")
        .register(r);
    RetryPolicy.bindTo(r);
  }

  private static Counter counter(MeterRegistry r, String name, String description) {
    return Counter.builder(name).description(description).register(r);
  }

  ServiceMetrics metrics() {
    return metrics;
  }

  /** Counts one micro-batch's outcome, summed over its partitions. */
  void batch(PartitionOutcome total, long buckets) {
    if (total.recordsIn() > 0) {
      batches.increment();
    }
    records.increment(total.recordsIn());
    users.increment(total.users());
    written.increment(total.written());
    conflicts.increment(total.conflicts());
    skippedKnown.increment(total.skippedKnown());
    skippedStored.increment(total.skippedStored());
    unorderable.increment(total.unorderable());
    foreign.increment(total.foreign());
    bucketsChanged.increment(buckets);
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    lastProgressMillis.set(System.currentTimeMillis());
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    lastProgressMillis.set(System.currentTimeMillis());
    Object total = event.progress().durationMs().get("triggerExecution");
    if (total instanceof Number millis && event.progress().numInputRows() > 0) {
      lastBatchMillis.set(millis.longValue());
      batchDuration.record(millis.longValue(), TimeUnit.MILLISECONDS);
    }
    long behind = 0;
    for (SourceProgress source : event.progress().sources()) {
      Map<String, String> m = source.metrics();
      String max = m == null ? null : m.get("maxOffsetsBehindLatest");
      if (max != null) {
        behind = Math.max(behind, (long) Double.parseDouble(max));
      }
    }
    offsetsBehind.set(behind);
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {
    lastProgressMillis.set(System.currentTimeMillis());
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}
}
