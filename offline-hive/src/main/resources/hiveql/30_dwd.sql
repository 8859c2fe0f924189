-- Decodes the hour's archive with the contract's decoder and gives each upload its product: the
-- mapping of its app key in force when it arrived (the last mapping record, by offset, stamped at
-- or before its record timestamp), else the first mapping that arrived within the hold time after
-- it, as the real-time parser releases held uploads; otherwise the upload is rejected as
-- unknown_app_key.
-- Variables: dt, hour, keyring_file (read on the warehouse host; keys never appear in a query),
-- hold_ms.
CREATE OR REPLACE TEMPORARY FUNCTION decode_envelope AS 'dev.channelanalytics.offline.DecodeEnvelopeUdtf';

-- The mapping records as intervals of record time: a record is in force from its stamp until the
-- earliest stamp of a later record (by offset) of the same app key. Exactly "the last record
-- stamped at or before", also when stamps do not rise with offsets. Small: broadcast below.
CREATE OR REPLACE TEMPORARY VIEW mapping_intervals AS
SELECT app_key, product_id, arrived AS valid_from,
  coalesce(min(arrived) OVER (PARTITION BY app_key ORDER BY kafka_offset
                              ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING),
           9223372036854775807) AS valid_until
FROM (SELECT app_key, product_id, kafka_offset, unix_millis(kafka_timestamp) AS arrived
      FROM ods_product_config WHERE error IS NULL) m;

-- One pass: decode every upload of the hour and give each row the product in force on arrival.
INSERT OVERWRITE TABLE dwd_decoded PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT /*+ BROADCAST(m) */ d.kind, d.reason, m.product_id, d.app_key, d.device_id, d.channel,
  d.event_type, d.event_time, d.event_index, d.kafka_partition, d.kafka_offset, d.arrived
FROM (SELECT r.kafka_partition, r.kafka_offset, unix_millis(r.kafka_timestamp) AS arrived, x.*
      FROM ods_raw_logs r
      LATERAL VIEW decode_envelope(r.envelope, '${hivevar:keyring_file}') x
      WHERE r.dt = '${hivevar:dt}' AND r.hour = '${hivevar:hour}') d
LEFT JOIN mapping_intervals m
  ON m.app_key = d.app_key AND d.arrived >= m.valid_from AND d.arrived < m.valid_until;

-- Uploads without a product when they arrived get the first mapping that arrived for their app
-- key within the hold time, as the parser releases held uploads.
INSERT OVERWRITE TABLE dwd_released PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT u.kafka_partition, u.kafka_offset, min_by(m.product_id, m.kafka_offset)
FROM (SELECT DISTINCT kafka_partition, kafka_offset, app_key, arrived
      FROM dwd_decoded
      WHERE dt = '${hivevar:dt}' AND hour = '${hivevar:hour}'
        AND app_key IS NOT NULL AND product_id IS NULL) u
JOIN (SELECT app_key, product_id, kafka_offset, unix_millis(kafka_timestamp) AS arrived
      FROM ods_product_config WHERE error IS NULL AND product_id IS NOT NULL) m
  ON m.app_key = u.app_key AND m.arrived > u.arrived
  AND m.arrived < u.arrived + ${hivevar:hold_ms}
GROUP BY u.kafka_partition, u.kafka_offset;
