-- Every user's first sighting, merged from the slot shown now and the archive hours computed since
-- it was published: the shown sightings whose source hour was not computed again, and the
-- sightings of the hours that were. The run reads the hours it computed and one pass over the
-- users, never every hour of history. Exact when no shown sighting sourced from a computed hour
-- got later or vanished there (a recomputed hour only gains uploads: late logs, late mappings, a
-- new key), which OfflineEtl checks first (52_dws_first_seen_merge_check.sql); otherwise it
-- rebuilds (50_dws_first_seen.sql). Written into the slot not shown now.
-- Variables: slot, shown, hours (a SQL list of the computed hours as 'yyyy-MM-dd HH').
INSERT OVERWRITE TABLE dws_first_seen_${hivevar:slot}
SELECT product_id, device_id, s.t0, s.channel, s.app_key, s.source_hour
FROM (
  SELECT product_id, device_id,
    min(named_struct('t0', t0, 'channel', channel, 'app_key', app_key,
                     'source_hour', source_hour)) AS s
  FROM (
    SELECT product_id, device_id, t0, channel, app_key, source_hour
    FROM dws_first_seen_${hivevar:shown}
    WHERE source_hour NOT IN (${hivevar:hours})
    UNION ALL
    SELECT product_id, device_id, t0, channel, app_key, concat(dt, ' ', hour) AS source_hour
    FROM dws_first_seen_hourly
    WHERE concat(dt, ' ', hour) IN (${hivevar:hours})) u
  GROUP BY product_id, device_id) f;
