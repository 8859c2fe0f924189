package dev.channelanalytics.offline;

import java.time.Instant;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * The offset range of one topic that belongs to one hour, per partition: from the first record
 * stamped at or after the hour's start to the first stamped at or after its end. Consecutive hours'
 * ranges tile each partition, so every record belongs to exactly one hour whatever its timestamp.
 *
 * @param hour the hour's start (UTC)
 * @param from first offset of the range per partition
 * @param until offset after the range per partition
 * @param sealed per partition: a record of a later hour exists, so the range can no longer grow
 * @param logStart per partition, the first offset Kafka still holds (retention deletes before it)
 */
record ArchiveRange(
    Instant hour,
    TreeMap<Integer, Long> from,
    TreeMap<Integer, Long> until,
    TreeMap<Integer, Boolean> sealed,
    TreeMap<Integer, Long> logStart) {

  /**
   * The partitions whose range starts where Kafka's log now starts, after records were deleted: the
   * deleted records may have belonged to this hour, unless {@code archivedBefore} (the until
   * offsets of the hour before, when archived) shows they went into an earlier hour.
   */
  java.util.List<Integer> possiblyTruncated(Map<Integer, Long> archivedBefore) {
    java.util.List<Integer> out = new java.util.ArrayList<>();
    from.forEach(
        (p, f) -> {
          long start = logStart.getOrDefault(p, 0L);
          boolean coveredBefore =
              archivedBefore != null && Long.valueOf(f).equals(archivedBefore.get(p));
          if (start > 0 && f == start && !coveredBefore) {
            out.add(p);
          }
        });
    return out;
  }

  /** True when no partition's range can grow any more. */
  boolean allSealed() {
    return sealed.values().stream().allMatch(s -> s);
  }

  long records() {
    long n = 0;
    for (Map.Entry<Integer, Long> e : from.entrySet()) {
      n += until.get(e.getKey()) - e.getValue();
    }
    return n;
  }

  /** Spark's Kafka offsets JSON, e.g. {@code {"raw-logs":{"0":12,"1":40}}}. */
  String fromJson(String topic) {
    return json(topic, from);
  }

  String untilJson(String topic) {
    return json(topic, until);
  }

  /** The ranges as a HiveQL VALUES list: (partition, from, until, sealed), ... */
  String valuesList() {
    StringJoiner rows = new StringJoiner(", ");
    from.forEach(
        (p, f) ->
            rows.add("(" + p + ", " + f + "L, " + until.get(p) + "L, " + sealed.get(p) + ")"));
    return rows.toString();
  }

  private static String json(String topic, Map<Integer, Long> offsets) {
    StringJoiner parts = new StringJoiner(",", "{\"" + topic + "\":{", "}}");
    offsets.forEach((p, o) -> parts.add("\"" + p + "\":" + o));
    return parts.toString();
  }
}
