-- Records what the hour held when it was computed; the late-log policy compares against it.
-- Variables: dt, hour, hour_start, sealed.
INSERT OVERWRITE TABLE etl_hours PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT ${hivevar:hour_start},
  (SELECT count(*) FROM ods_raw_logs WHERE dt = '${hivevar:dt}' AND hour = '${hivevar:hour}'),
  (SELECT count(*) FROM dwd_events WHERE dt = '${hivevar:dt}' AND hour = '${hivevar:hour}'),
  (SELECT count(*) FROM dwd_rejects WHERE dt = '${hivevar:dt}' AND hour = '${hivevar:hour}'),
  ${hivevar:sealed},
  current_timestamp();
