package dev.channelanalytics.calculator;

import co.elastic.clients.elasticsearch._types.aggregations.CompositeDateHistogramAggregation;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** The report buckets: minutes, and hours and days in the report time zone. */
public enum Granularity {
  MINUTE(ChronoUnit.MINUTES),
  HOUR(ChronoUnit.HOURS),
  DAY(ChronoUnit.DAYS);

  private final ChronoUnit unit;

  Granularity(ChronoUnit unit) {
    this.unit = unit;
  }

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code minute}, {@code hour} or {@code day}; null for anything else. */
  public static Granularity fromCode(String code) {
    for (Granularity g : values()) {
      if (g.code().equals(code)) {
        return g;
      }
    }
    return null;
  }

  /** The start of the bucket holding {@code epochMillis}. */
  public long bucketStart(long epochMillis, ZoneId zone) {
    return ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), zone)
        .truncatedTo(unit)
        .toInstant()
        .toEpochMilli();
  }

  /** The start of the next bucket. */
  public long nextBucket(long bucketStart, ZoneId zone) {
    return ZonedDateTime.ofInstant(Instant.ofEpochMilli(bucketStart), zone)
        .plus(1, unit)
        .toInstant()
        .toEpochMilli();
  }

  /**
   * Sets the interval of a date histogram over this granularity: minutes are fixed (the same in
   * every whole-minute zone), hours and days follow the calendar of the histogram's time zone.
   */
  CompositeDateHistogramAggregation.Builder interval(CompositeDateHistogramAggregation.Builder h) {
    return switch (this) {
      case MINUTE -> h.fixedInterval(t -> t.time("1m"));
      case HOUR -> h.calendarInterval(t -> t.time("1h"));
      case DAY -> h.calendarInterval(t -> t.time("1d"));
    };
  }
}
