-- New users per product, hour (in the report time zone) and channel: a user counts in the hour
-- holding its first-seen time. The hour starts at t0 minus t0's local minutes and seconds, with the
-- zone's offset at t0 itself, so both hours of a daylight-saving fall-back stay apart. Rebuilt
-- whole, so a user who moved to an earlier hour leaves the later one, into the slot not shown
-- now. Variables: tz, slot. Runs with spark.sql.session.timeZone = UTC.
INSERT OVERWRITE TABLE ads_new_users_hourly_${hivevar:slot}
SELECT product_id,
  date_format(timestamp_millis(bucket_start), "yyyy-MM-dd'T'HH:mm:ss'Z'") AS bucket,
  bucket_start, channel, count(*) AS new_users, '${hivevar:tz}' AS tz,
  current_timestamp() AS computed_at
FROM (
  SELECT product_id, channel,
    t0 - pmod(t0 + (unix_millis(from_utc_timestamp(timestamp_millis(t0), '${hivevar:tz}')) - t0),
              3600000) AS bucket_start
  FROM dws_first_seen_${hivevar:slot}) u
GROUP BY product_id, bucket_start, channel;
