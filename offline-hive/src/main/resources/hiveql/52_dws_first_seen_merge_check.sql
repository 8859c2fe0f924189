-- How many shown sightings the incremental merge (51_dws_first_seen_merge.sql) would get wrong:
-- those with no source hour (a slot written before source_hour existed), and those sourced from
-- an hour computed again whose sighting there is now later or gone (the hour lost an upload: a
-- mapping that moved an app key to another product, say). Zero means the merge is exact.
-- Variables: shown, hours (as for the merge).
SELECT count(*)
FROM dws_first_seen_${hivevar:shown} c
LEFT JOIN (
  SELECT product_id, device_id,
    min(named_struct('t0', t0, 'channel', channel, 'app_key', app_key,
                     'source_hour', concat(dt, ' ', hour))) AS s
  FROM dws_first_seen_hourly
  WHERE concat(dt, ' ', hour) IN (${hivevar:hours})
  GROUP BY product_id, device_id) n
  ON n.product_id = c.product_id AND n.device_id = c.device_id
WHERE c.source_hour IS NULL
  OR (c.source_hour IN (${hivevar:hours})
      AND (n.s IS NULL
           OR n.s > named_struct('t0', c.t0, 'channel', c.channel, 'app_key', c.app_key,
                                 'source_hour', c.source_hour)));
