package dev.channelanalytics.calculator;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** The report buckets: minutes, and hours and days in the report time zone. */
enum Granularity {
  MINUTE(ChronoUnit.MINUTES, "\"fixed_interval\":\"1m\""),
  HOUR(ChronoUnit.HOURS, "\"calendar_interval\":\"1h\""),
  DAY(ChronoUnit.DAYS, "\"calendar_interval\":\"1d\"");

  private final ChronoUnit unit;
  private final String interval;

  Granularity(ChronoUnit unit, String interval) {
    this.unit = unit;
    this.interval = interval;
  }

  String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code minute}, {@code hour} or {@code day}; null for anything else. */
  static Granularity fromCode(String code) {
    for (Granularity g : values()) {
      if (g.code().equals(code)) {
        return g;
      }
    }
    return null;
  }

  /** The start of the bucket holding {@code epochMillis}. */
  long bucketStart(long epochMillis, ZoneId zone) {
    return ZonedDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), zone)
        .truncatedTo(unit)
        .toInstant()
        .toEpochMilli();
  }

  /** The start of the next bucket. */
  long nextBucket(long bucketStart, ZoneId zone) {
    return ZonedDateTime.ofInstant(Instant.ofEpochMilli(bucketStart), zone)
        .plus(1, unit)
        .toInstant()
        .toEpochMilli();
  }

  /** The date_histogram interval of an aggregation over this granularity. */
  String histogramInterval() {
    return interval;
  }
}
