-- Decodes the hour's archive with the contract's decoder and gives each upload its product: the
-- mapping of its app key in force when it arrived (the last mapping record stamped at or before
-- its record timestamp), else the first mapping that arrived within the hold time after it, as
-- the real-time parser releases held uploads; otherwise the upload is rejected as unknown_app_key.
-- Variables: dt, hour, keyring_file (read on the warehouse host; keys never appear in a query),
-- hold_ms.
CREATE OR REPLACE TEMPORARY FUNCTION decode_envelope AS 'dev.channelanalytics.offline.DecodeEnvelopeUdtf';

-- Left over from a run that failed half-way in this session, if any; dropping also uncaches.
DROP VIEW IF EXISTS upload_product;
DROP VIEW IF EXISTS decoded_hour;

CACHE TABLE decoded_hour AS
SELECT r.kafka_partition, r.kafka_offset, unix_millis(r.kafka_timestamp) AS arrived, d.*
FROM ods_raw_logs r
LATERAL VIEW decode_envelope(r.envelope, '${hivevar:keyring_file}') d
WHERE r.dt = '${hivevar:dt}' AND r.hour = '${hivevar:hour}';

CACHE TABLE upload_product AS
SELECT u.kafka_partition, u.kafka_offset, u.app_key, u.device_id,
  coalesce(
    max_by(m.product_id, IF(m.arrived <= u.arrived, m.kafka_offset, NULL)),
    min_by(m.product_id,
      IF(m.arrived > u.arrived AND m.arrived < u.arrived + ${hivevar:hold_ms}
         AND m.product_id IS NOT NULL, m.kafka_offset, NULL))) AS product_id
FROM (SELECT DISTINCT kafka_partition, kafka_offset, arrived, app_key, device_id
      FROM decoded_hour WHERE app_key IS NOT NULL) u
LEFT JOIN (SELECT app_key, product_id, kafka_offset, unix_millis(kafka_timestamp) AS arrived
           FROM ods_product_config WHERE error IS NULL) m
  ON m.app_key = u.app_key
GROUP BY u.kafka_partition, u.kafka_offset, u.app_key, u.device_id;

INSERT OVERWRITE TABLE dwd_events PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT p.product_id, d.device_id, d.channel, d.app_key, d.event_type, d.event_time, d.event_index,
  d.kafka_partition, d.kafka_offset
FROM decoded_hour d
JOIN upload_product p ON p.kafka_partition = d.kafka_partition AND p.kafka_offset = d.kafka_offset
WHERE d.kind = 'event' AND p.product_id IS NOT NULL;

INSERT OVERWRITE TABLE dwd_rejects PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT reason, app_key, device_id, event_index, kafka_partition, kafka_offset
FROM decoded_hour WHERE kind = 'reject'
UNION ALL
SELECT 'unknown_app_key', app_key, device_id, NULL, kafka_partition, kafka_offset
FROM upload_product WHERE product_id IS NULL;

DROP VIEW upload_product;
DROP VIEW decoded_hour;
