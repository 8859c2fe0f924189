-- Every user's first sighting over all archived hours. The minimum is taken afresh over the hourly
-- sightings, so the result does not depend on the order hours were computed in, and a re-computed
-- hour replaces what it contributed before. Written into the slot not shown now. Variables: slot.
INSERT OVERWRITE TABLE dws_first_seen_${hivevar:slot}
SELECT product_id, device_id, s.t0, s.channel, s.app_key
FROM (
  SELECT product_id, device_id,
    min(named_struct('t0', t0, 'channel', channel, 'app_key', app_key)) AS s
  FROM dws_first_seen_hourly
  GROUP BY product_id, device_id) f;
