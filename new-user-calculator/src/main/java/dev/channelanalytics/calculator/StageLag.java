package dev.channelanalytics.calculator;

import dev.channelanalytics.common.kafka.PipelineStages;
import dev.channelanalytics.common.kafka.TopicOffsets;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far each stage of the real-time path is behind, in records and in seconds, measured from
 * outside the stage (its group's committed offsets against its topic's ends), so that the figure
 * keeps growing while the stage is down or stuck, which is when it matters; a stage's own metrics
 * vanish with it. The reports' freshness is bounded by it, hence its place in the reporting
 * service.
 *
 * <p>Seconds come from the ends sampled every {@link #EVERY}: the oldest record a stage has not
 * consumed arrived at the first sample whose end passed the stage's committed offset, so the lag is
 * the time since then (at the sampling resolution; a lower bound when the history kept, one hour,
 * does not reach back that far). 0 when the stage has consumed everything.
 */
final class StageLag implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StageLag.class);

  static final Duration EVERY = Duration.ofSeconds(5);
  static final int MAX_SAMPLES = 720;

  /** The ends of a stage's topic at one moment. */
  record Sample(long atMillis, Map<TopicPartition, Long> ends) {}

  /** One stage's latest figures; NaN while Kafka cannot be read. */
  private static final class Figures {
    final Deque<Sample> history = new ArrayDeque<>();
    volatile double records = Double.NaN;
    volatile double seconds = Double.NaN;
  }

  private final List<PipelineStages.Stage> stages;
  private final TopicOffsets offsets;
  private final Clock clock;
  private final Map<String, Figures> figures = new ConcurrentHashMap<>();
  private final ScheduledExecutorService schedule =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "stage-lag");
            t.setDaemon(true);
            return t;
          });

  StageLag(List<PipelineStages.Stage> stages, TopicOffsets offsets, Clock clock) {
    this.stages = List.copyOf(stages);
    this.offsets = offsets;
    this.clock = clock;
    stages.forEach(s -> figures.put(s.name(), new Figures()));
  }

  /**
   * Registers {@code channel_stage_lag_records{stage,topic}} and {@code
   * channel_stage_lag_seconds{stage,topic}} and samples every {@link #EVERY}.
   */
  StageLag start(MeterRegistry registry) {
    for (PipelineStages.Stage s : stages) {
      Figures f = figures.get(s.name());
      Gauge.builder("channel.stage.lag.records", f, x -> x.records)
          .description("records of its input the stage has not committed as done")
          .tags("stage", s.name(), "topic", s.topic())
          .register(registry);
      Gauge.builder("channel.stage.lag.seconds", f, x -> x.seconds)
          .description("since the oldest record the stage has not consumed arrived")
          .tags("stage", s.name(), "topic", s.topic())
          .register(registry);
    }
    schedule.scheduleWithFixedDelay(this::sample, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  void sample() {
    for (PipelineStages.Stage s : stages) {
      Figures f = figures.get(s.name());
      try {
        Map<TopicPartition, Long> ends = offsets.ends(s.topic());
        Map<TopicPartition, Long> committed = offsets.committed(s.group());
        long now = clock.millis();
        synchronized (f) {
          f.history.addLast(new Sample(now, ends));
          f.records = TopicOffsets.lag(ends, committed);
          f.seconds = secondsBehind(f.history, committed, now);
          prune(f.history, committed);
        }
      } catch (RuntimeException e) {
        f.records = Double.NaN;
        f.seconds = Double.NaN;
        LOG.debug("lag of {} unknown: {}", s.name(), e.toString());
      }
    }
  }

  /**
   * Seconds since the first sample of {@code history} (oldest first, ending with now's) whose end
   * of some partition was past {@code committed}; 0 when the newest has none.
   */
  static double secondsBehind(
      Deque<Sample> history, Map<TopicPartition, Long> committed, long nowMillis) {
    for (Sample sample : history) {
      if (behind(sample, committed)) {
        return Math.max(0, nowMillis - sample.atMillis()) / 1000.0;
      }
    }
    return 0;
  }

  /** Drops samples no longer needed (nothing past the committed offsets), and past the cap. */
  static void prune(Deque<Sample> history, Map<TopicPartition, Long> committed) {
    Iterator<Sample> it = history.iterator();
    while (history.size() > 1 && it.hasNext() && !behind(it.next(), committed)) {
      it.remove();
    }
    while (history.size() > MAX_SAMPLES) {
      history.removeFirst();
    }
  }

  private static boolean behind(Sample sample, Map<TopicPartition, Long> committed) {
    for (Map.Entry<TopicPartition, Long> e : sample.ends().entrySet()) {
      if (e.getValue() > committed.getOrDefault(e.getKey(), 0L)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    schedule.shutdownNow();
    offsets.close();
  }
}
