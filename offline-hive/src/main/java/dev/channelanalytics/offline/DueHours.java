package dev.channelanalytics.offline;

import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The late-log policy: which hours to (re)compute now so that the offline numbers converge to the
 * contract's answer. Due are the hours from the first one to the last that ended at least {@code
 * offline.settle} ago that were never computed (or whose computation failed), whose range has grown
 * since they were computed (only possible while a partition had no record of a later hour yet), or
 * that were computed before a mapping was archived that may change their uploads' products.
 */
final class DueHours {
  private static final Logger LOG = LoggerFactory.getLogger(DueHours.class);

  private final OfflineSettings settings;
  private final EtlBooks books;
  private final KafkaOffsets offsets;

  DueHours(OfflineSettings settings, EtlBooks books, KafkaOffsets offsets) {
    this.settings = settings;
    this.books = books;
    this.offsets = offsets;
  }

  /** The due hours at {@code now}, oldest first; the mappings must be archived already. */
  List<Instant> at(Instant now) throws SQLException {
    Instant last =
        now.minus(settings.settle()).truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
    Instant first = settings.firstHour().orElseGet(this::firstCompleteHour);
    if (first == null || first.isAfter(last)) {
      return List.of();
    }
    Map<Long, Boolean> computed = books.computedHours();
    Set<Long> remapped = books.remappedSinceComputed(settings.hold());
    Map<Long, Map<Integer, Long>> archivedUntil = books.archivedUntilByHour();
    Set<Long> lost = books.lostHours();
    List<Instant> due = new ArrayList<>();
    for (Instant h = first; !h.isAfter(last); h = h.plus(1, ChronoUnit.HOURS)) {
      long key = h.toEpochMilli();
      if (lost.contains(key)) {
        continue; // reported when it was found lost; never archivable whole
      }
      Boolean sealed = computed.get(key);
      if (sealed == null || remapped.contains(key)) {
        due.add(h);
      } else if (!sealed
          && !offsets.hourRange(settings.rawTopic(), h).until().equals(archivedUntil.get(key))) {
        due.add(h);
      }
    }
    return due;
  }

  /** The trimmed starts already reported by this process, so each is logged once. */
  private static final Set<String> TRIM_REPORTED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * The hour of the oldest raw log; the hour after it when retention has already deleted records,
   * because the oldest hour then cannot be archived whole.
   */
  private Instant firstCompleteHour() {
    Instant first = offsets.firstHour(settings.rawTopic()).orElse(null);
    if (first != null && offsets.trimmed(settings.rawTopic())) {
      if (TRIM_REPORTED.add(settings.rawTopic() + "|" + first)) {
        LOG.warn(
            "{} has lost its oldest records to retention; the offline path starts after {}",
            settings.rawTopic(),
            first);
      }
      return first.plus(1, ChronoUnit.HOURS);
    }
    return first;
  }
}
