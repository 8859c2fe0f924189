package dev.channelanalytics.calibration;

import dev.channelanalytics.common.kafka.TopicOffsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * When a calibration of [from, to) may start: comparing earlier would report differences that are
 * only work in flight, and "repair" them. A run waits while
 *
 * <ul>
 *   <li>the offline path still has due hours for the range: an archive hour of the range that has
 *       settled ({@code offline.settle} after its end) but was never computed ({@code etl_hours});
 *   <li>the parser has not consumed the raw-log offsets the offline path archived ({@code
 *       ods_archive_ranges}), or the sharder has not consumed what the parser had written by then
 *       (its group's committed offsets on {@code parsed-events}).
 * </ul>
 *
 * <p>The calculator's recompute of what calibration repaired is waited for hour by hour ({@link
 * CalibrationRun}).
 */
final class CalibrationGate {
  private static final Duration POLL = Duration.ofSeconds(2);

  private final CalibrationSettings settings;

  CalibrationGate(CalibrationSettings settings) {
    this.settings = settings;
  }

  /**
   * Waits until a run of [from, to) may start, reporting each distinct reason to {@code progress};
   * fails when it has waited {@code calibration.wait-timeout}.
   */
  void await(OfflineFirstSeen offline, long from, long to, Consumer<String> progress)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + settings.waitTimeout().toNanos();
    String said = null;
    Map<TopicPartition, Long> parsedSnapshot = null;
    try (TopicOffsets kafka = new TopicOffsets(settings.kafka(), Duration.ofSeconds(10))) {
      while (true) {
        String reason = dueHours(offline, from, to, Instant.now());
        if (reason == null && parsedSnapshot == null) {
          reason = parserBehind(offline, kafka);
          if (reason == null) {
            parsedSnapshot = kafka.ends(settings.parsedTopic());
          }
        }
        if (reason == null) {
          reason = sharderBehind(kafka, parsedSnapshot);
        }
        if (reason == null) {
          return;
        }
        if (!reason.equals(said)) {
          progress.accept("waiting: " + reason);
          said = reason;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "gave up after waiting " + settings.waitTimeout() + ": " + reason);
        }
        Thread.sleep(POLL.toMillis());
      }
    }
  }

  /** Why the offline path is not done with [from, to) at {@code now}; null when it is. */
  String dueHours(OfflineFirstSeen offline, long from, long to, Instant now) throws SQLException {
    var first = offline.firstComputedHour();
    if (first.isEmpty()) {
      // Nothing computed yet, so nothing known to be due; the comparison says what differs.
      return null;
    }
    long lastSettled =
        now.minus(settings.settle()).truncatedTo(ChronoUnit.HOURS).toEpochMilli() - 3_600_000L;
    long start =
        Math.max(
            Instant.ofEpochMilli(from).truncatedTo(ChronoUnit.HOURS).toEpochMilli(),
            first.getAsLong());
    long end = Math.min(to, lastSettled + 3_600_000L);
    if (start >= end) {
      return null;
    }
    TreeSet<Long> computed = offline.computedHours(start, end);
    List<Instant> due = new ArrayList<>();
    for (long h = start; h < end; h += 3_600_000L) {
      if (!computed.contains(h)) {
        due.add(Instant.ofEpochMilli(h));
      }
    }
    return due.isEmpty()
        ? null
        : "the offline path has " + due.size() + " due hour(s) from " + due.get(0);
  }

  private String parserBehind(OfflineFirstSeen offline, TopicOffsets kafka) throws SQLException {
    Map<Integer, Long> archived = offline.archivedUntil();
    Map<TopicPartition, Long> committed = kafka.committed(settings.parserGroup());
    for (Map.Entry<Integer, Long> e : archived.entrySet()) {
      TopicPartition tp = new TopicPartition(settings.rawTopic(), e.getKey());
      long at = committed.getOrDefault(tp, 0L);
      if (at < e.getValue()) {
        return "the parser has consumed "
            + tp
            + " up to "
            + at
            + ", the offline path archived it up to "
            + e.getValue();
      }
    }
    return null;
  }

  private String sharderBehind(TopicOffsets kafka, Map<TopicPartition, Long> snapshot) {
    Map<TopicPartition, Long> committed = kafka.committed(settings.sharderGroup());
    for (Map.Entry<TopicPartition, Long> e : snapshot.entrySet()) {
      long at = committed.getOrDefault(e.getKey(), 0L);
      if (at < e.getValue()) {
        return "the sharder has consumed "
            + e.getKey()
            + " up to "
            + at
            + ", the parser had written "
            + e.getValue();
      }
    }
    return null;
  }
}
