-- The earliest sighting per product and device among the hour's events, with the contract's
-- tie-break: earliest event time, then the smallest channel, then the smallest app key.
-- Variables: dt, hour.
INSERT OVERWRITE TABLE dws_first_seen_hourly PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT product_id, device_id, s.t0, s.channel, s.app_key
FROM (
  SELECT product_id, device_id,
    min(named_struct('t0', event_time, 'channel', channel, 'app_key', app_key)) AS s
  FROM dwd_events
  WHERE dt = '${hivevar:dt}' AND hour = '${hivevar:hour}'
  GROUP BY product_id, device_id) h;
