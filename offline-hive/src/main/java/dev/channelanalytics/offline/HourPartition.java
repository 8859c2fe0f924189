package dev.channelanalytics.offline;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * One archive hour as the hourly tables partition it: {@code dt} and {@code hour} of its UTC start.
 * The one place that writes the partition's predicate and spec, so every query of the books prunes
 * to the same partition the scripts wrote.
 *
 * @param start the hour's start (UTC, on the hour)
 */
record HourPartition(Instant start) {
  private static final DateTimeFormatter DT = DateTimeFormatter.ofPattern("yyyy-MM-dd");

  /**
   * The hour's start in epoch milliseconds, computed from a row's {@code dt} and {@code hour}
   * columns (in a session in UTC).
   */
  static final String START_MILLIS_OF_ROW =
      "unix_millis(to_timestamp(concat(dt, ' ', hour), 'yyyy-MM-dd HH'))";

  HourPartition {
    start = start.truncatedTo(ChronoUnit.HOURS);
  }

  String dt() {
    return DT.format(start.atOffset(ZoneOffset.UTC));
  }

  String hour() {
    return String.format("%02d", start.atOffset(ZoneOffset.UTC).getHour());
  }

  /** {@code 2026-11-20 10}: the hour as the cumulative first sightings name their source hour. */
  String sourceHour() {
    return dt() + " " + hour();
  }

  /** {@code dt = '2026-11-20' AND hour = '10'}: selects this hour's partition. */
  String predicate() {
    return "dt = '" + dt() + "' AND hour = '" + hour() + "'";
  }

  /** {@code PARTITION (dt = '2026-11-20', hour = '10')}: names it in DDL. */
  String spec() {
    return "PARTITION (" + predicate().replace(" AND ", ", ") + ")";
  }

  /** The scripts' variables for this hour: {@code dt}, {@code hour}, {@code hour_start}. */
  Map<String, String> variables() {
    return Map.of("dt", dt(), "hour", hour(), "hour_start", Long.toString(start.toEpochMilli()));
  }
}
