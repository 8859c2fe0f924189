-- New users per product, hour and channel: a user counts in the hour (of the report time zone)
-- holding its first-seen time. Rebuilt whole, so a user who moved to an earlier hour leaves the
-- later one. Variables: tz. Runs with spark.sql.session.timeZone = UTC.
INSERT OVERWRITE TABLE ads_new_users_hourly
SELECT product_id,
  date_format(bucket_ts, "yyyy-MM-dd'T'HH:mm:ss'Z'") AS bucket,
  unix_millis(bucket_ts) AS bucket_start,
  channel, count(*) AS new_users, '${hivevar:tz}' AS tz, current_timestamp() AS computed_at
FROM (
  SELECT product_id, channel,
    to_utc_timestamp(
      date_trunc('HOUR', from_utc_timestamp(timestamp_millis(t0), '${hivevar:tz}')),
      '${hivevar:tz}') AS bucket_ts
  FROM dws_first_seen) u
GROUP BY product_id, bucket_ts, channel;
