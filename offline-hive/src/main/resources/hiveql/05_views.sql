-- The DWD views over dwd_decoded and dwd_released. Replaced, so that a newer definition takes
-- effect; OfflineEtl runs this once per process, not every run.
-- DWD: the valid events that found their product.
CREATE OR REPLACE VIEW dwd_events AS
SELECT /*+ BROADCAST(r) */ coalesce(d.product_id, r.product_id) AS product_id, d.device_id,
  d.channel, d.app_key, d.event_type, d.event_time, d.event_index, d.kafka_partition,
  d.kafka_offset, d.dt, d.hour
FROM dwd_decoded d
LEFT JOIN dwd_released r
  ON r.dt = d.dt AND r.hour = d.hour
  AND r.kafka_partition = d.kafka_partition AND r.kafka_offset = d.kafka_offset
WHERE d.kind = 'event' AND coalesce(d.product_id, r.product_id) IS NOT NULL;

-- DWD: every reject with the contract's reason code (event_index for bad_event); an upload whose
-- app key found no mapping within the hold time is one unknown_app_key.
CREATE OR REPLACE VIEW dwd_rejects AS
SELECT reason, app_key, device_id, event_index, kafka_partition, kafka_offset, dt, hour
FROM dwd_decoded WHERE kind = 'reject'
UNION ALL
SELECT /*+ BROADCAST(r) */ 'unknown_app_key', u.app_key, u.device_id, NULL, u.kafka_partition,
  u.kafka_offset, u.dt, u.hour
FROM (SELECT DISTINCT dt, hour, kafka_partition, kafka_offset, app_key, device_id
      FROM dwd_decoded WHERE app_key IS NOT NULL AND product_id IS NULL) u
LEFT ANTI JOIN dwd_released r
  ON r.dt = u.dt AND r.hour = u.hour
  AND r.kafka_partition = u.kafka_partition AND r.kafka_offset = u.kafka_offset;
