-- Every user's first sighting over all archived hours, rebuilt from every hour: the minimum is
-- taken afresh over the hourly sightings, so the result does not depend on the order hours were
-- computed in, and a re-computed hour replaces what it contributed before. Of equal sightings in
-- several archive hours the earliest hour is the source. OfflineEtl runs this only when the
-- incremental merge (51_dws_first_seen_merge.sql) cannot be exact. Written into the slot not
-- shown now. Variables: slot.
INSERT OVERWRITE TABLE dws_first_seen_${hivevar:slot}
SELECT product_id, device_id, s.t0, s.channel, s.app_key, s.source_hour
FROM (
  SELECT product_id, device_id,
    min(named_struct('t0', t0, 'channel', channel, 'app_key', app_key,
                     'source_hour', concat(dt, ' ', hour))) AS s
  FROM dws_first_seen_hourly
  GROUP BY product_id, device_id) f;
