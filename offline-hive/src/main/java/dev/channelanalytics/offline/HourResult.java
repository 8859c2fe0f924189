package dev.channelanalytics.offline;

import java.time.Instant;

/**
 * What one hour held after it was computed, as the books recorded it.
 *
 * @param hour the hour's start (UTC)
 * @param records the raw-logs records archived for it
 * @param events the valid events that found their product
 * @param rejects the rejects, {@code unknown_app_key} included
 * @param rearchived whether this run read the hour from Kafka (false: a sealed archive was kept)
 * @param sealed whether the hour's range can no longer grow
 */
public record HourResult(
    Instant hour, long records, long events, long rejects, boolean rearchived, boolean sealed) {}
