-- Appends the product-config records not archived yet, parsed by the contract's mapping parser.
-- Variables: kafka_options (the connection's options), config_topic, config_from and config_until (Spark Kafka offsets
-- JSON). Gaps left by compaction are expected, hence failOnDataLoss false.
CREATE OR REPLACE TEMPORARY FUNCTION parse_mapping AS 'dev.channelanalytics.offline.ParseMappingUdtf';

CREATE OR REPLACE TEMPORARY VIEW product_config_new
USING kafka
OPTIONS (
  ${hivevar:kafka_options}
  'kafka.isolation.level' 'read_committed',
  'subscribe' '${hivevar:config_topic}',
  'startingOffsets' '${hivevar:config_from}',
  'endingOffsets' '${hivevar:config_until}',
  'failOnDataLoss' 'false');

INSERT INTO ods_product_config
SELECT m.app_key, m.product_id, m.error, c.partition, c.offset, c.timestamp, current_timestamp()
FROM product_config_new c
LATERAL VIEW parse_mapping(c.key, c.value) m;
