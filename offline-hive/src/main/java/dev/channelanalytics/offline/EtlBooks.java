package dev.channelanalytics.offline;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The books of the offline path, as the warehouse's own tables record them: which offset ranges
 * each hour archived ({@code ods_archive_ranges}), what each hour held when last computed ({@code
 * etl_hours}), how far {@code product-config} is archived ({@code ods_product_config}), and which
 * slot DWS and ADS were last published into ({@code etl_published}). Keeping them in Hive, not in
 * this process, lets any run (the schedule, a terminal, another host) pick up where the last one
 * stopped.
 */
final class EtlBooks {
  private final WarehouseSession session;

  EtlBooks(WarehouseSession session) {
    this.session = session;
  }

  /** Makes the hour count as never computed until it is written whole again. */
  void forgetComputed(HourPartition hour) throws SQLException {
    session.execute("ALTER TABLE etl_hours DROP IF EXISTS " + hour.spec());
  }

  /** What the hour held when it was last computed. */
  HourResult computed(HourPartition hour, boolean rearchived, boolean sealed) throws SQLException {
    List<HourResult> rows =
        session.query(
            "SELECT records, events, rejects FROM etl_hours WHERE " + hour.predicate(),
            r ->
                new HourResult(
                    hour.start(), r.getLong(1), r.getLong(2), r.getLong(3), rearchived, sealed));
    if (rows.isEmpty()) {
      throw new IllegalStateException("hour " + hour.start() + " has no books after computing");
    }
    return rows.get(0);
  }

  /** Every computed hour (start in epoch milliseconds) and whether its range was sealed then. */
  Map<Long, Boolean> computedHours() throws SQLException {
    Map<Long, Boolean> out = new HashMap<>();
    session
        .query(
            "SELECT hour_start, sealed FROM etl_hours",
            r -> Map.entry(r.getLong(1), r.getBoolean(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * The computed hours (starts in epoch milliseconds) computed before a mapping record was archived
   * that could change their uploads' products: one stamped before the hour's end plus {@code hold}.
   */
  Set<Long> remappedSinceComputed(Duration hold) throws SQLException {
    return new HashSet<>(
        session.query(
            "SELECT DISTINCT h.hour_start FROM etl_hours h JOIN ods_product_config m"
                + " ON m.archived_at > h.computed_at"
                + " AND unix_millis(m.kafka_timestamp) < h.hour_start + 3600000 + "
                + hold.toMillis(),
            r -> r.getLong(1)));
  }

  /** Whether the hour was archived whole in each of the topic's {@code partitions}, all sealed. */
  boolean archivedSealed(HourPartition hour, int partitions) throws SQLException {
    List<Boolean> rows =
        session.query(
            "SELECT count(*), count(IF(sealed, 1, NULL)) FROM ods_archive_ranges WHERE "
                + hour.predicate(),
            r -> r.getLong(1) > 0 && r.getLong(1) == r.getLong(2) && r.getLong(1) == partitions);
    return !rows.isEmpty() && rows.get(0);
  }

  /** The offsets after the hour's archived range per partition; empty if never archived. */
  Map<Integer, Long> archivedUntil(HourPartition hour) throws SQLException {
    return archivedUntil(" WHERE " + hour.predicate())
        .getOrDefault(hour.start().toEpochMilli(), Map.of());
  }

  /** The offsets after each archived range, per hour start (epoch milliseconds) and partition. */
  Map<Long, Map<Integer, Long>> archivedUntilByHour() throws SQLException {
    return archivedUntil("");
  }

  private Map<Long, Map<Integer, Long>> archivedUntil(String where) throws SQLException {
    Map<Long, Map<Integer, Long>> out = new HashMap<>();
    for (long[] row :
        session.query(
            "SELECT "
                + HourPartition.START_MILLIS_OF_ROW
                + ", kafka_partition, until_offset FROM ods_archive_ranges"
                + where,
            r -> new long[] {r.getLong(1), r.getInt(2), r.getLong(3)})) {
      out.computeIfAbsent(row[0], k -> new TreeMap<>()).put((int) row[1], row[2]);
    }
    return out;
  }

  /** Per partition of {@code product-config}, the offset after the last archived record. */
  Map<Integer, Long> archivedConfigUntil() throws SQLException {
    Map<Integer, Long> out = new TreeMap<>();
    session
        .query(
            "SELECT kafka_partition, max(kafka_offset) FROM ods_product_config"
                + " GROUP BY kafka_partition",
            r -> Map.entry(r.getInt(1), r.getLong(2) + 1))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** The hours (starts in epoch milliseconds) recorded as lost to retention. */
  Set<Long> lostHours() throws SQLException {
    return new HashSet<>(
        session.query("SELECT DISTINCT hour_start FROM etl_lost_hours", r -> r.getLong(1)));
  }

  /** Records an hour as lost to retention in {@code partitions}; true the first time only. */
  boolean markLost(HourPartition hour, List<Integer> partitions) throws SQLException {
    if (lostHours().contains(hour.start().toEpochMilli())) {
      return false;
    }
    String list =
        partitions.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    session.execute(
        "INSERT INTO etl_lost_hours SELECT "
            + hour.start().toEpochMilli()
            + ", '"
            + list
            + "', current_timestamp()");
    return true;
  }

  /** The slot ({@code a} or {@code b}) the views show now. */
  String shownSlot() throws SQLException {
    List<String> rows = session.query("SELECT slot FROM etl_published", r -> r.getString(1));
    return !rows.isEmpty() && "b".equals(rows.get(0)) ? "b" : "a";
  }

  /**
   * The hours computed since DWS and ADS were last published (at or after that moment, so an hour
   * computed in the same instant is merged again rather than missed); empty when never published.
   */
  Optional<List<HourPartition>> hoursComputedSincePublished() throws SQLException {
    List<Boolean> published =
        session.query(
            "SELECT max(published_at) IS NOT NULL FROM etl_published", r -> r.getBoolean(1));
    if (published.isEmpty() || !published.get(0)) {
      return Optional.empty();
    }
    return Optional.of(
        session.query(
            "SELECT h.hour_start FROM etl_hours h"
                + " CROSS JOIN (SELECT max(published_at) AS p FROM etl_published) x"
                + " WHERE h.computed_at >= x.p ORDER BY h.hour_start",
            r -> new HourPartition(java.time.Instant.ofEpochMilli(r.getLong(1)))));
  }

  /**
   * Adds {@code source_hour} to cumulative slots made before it existed, and then forgets when they
   * were published (keeping which slot is shown), so the next publish rebuilds from every hour
   * instead of merging into sightings that name no source hour.
   */
  void addSourceHourColumn() throws SQLException {
    boolean added = false;
    for (String slot : List.of("dws_first_seen_a", "dws_first_seen_b")) {
      boolean has =
          session.query("DESCRIBE " + slot, r -> r.getString(1)).stream()
              .anyMatch("source_hour"::equalsIgnoreCase);
      if (!has) {
        session.execute("ALTER TABLE " + slot + " ADD COLUMNS (source_hour STRING)");
        added = true;
      }
    }
    if (added) {
      session.execute(
          "INSERT OVERWRITE TABLE etl_published SELECT CAST(NULL AS TIMESTAMP), '"
              + shownSlot()
              + "'");
    }
  }

  /** Whether an hour was computed after DWS and ADS were last rebuilt (or never rebuilt). */
  boolean publishedIsStale() throws SQLException {
    List<Boolean> rows =
        session.query(
            "SELECT (SELECT max(computed_at) FROM etl_hours),"
                + " (SELECT max(published_at) FROM etl_published)",
            r -> {
              Timestamp computed = r.getTimestamp(1);
              Timestamp published = r.getTimestamp(2);
              return computed != null && (published == null || published.before(computed));
            });
    return !rows.isEmpty() && rows.get(0);
  }

  /** The rows of a table or view. */
  long rows(String table) throws SQLException {
    return session.count("SELECT count(*) FROM " + table);
  }
}
