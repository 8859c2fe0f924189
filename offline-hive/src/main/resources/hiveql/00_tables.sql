-- The offline path's tables, layer by layer. Safe to run again: every statement is IF NOT EXISTS.
-- The DWD views are in 05_views.sql.
-- Hours (dt, hour) are UTC and name the archive hour: the Kafka offset range a record was archived
-- in, found by record timestamp (see 20_ods_raw_logs.sql). Event times are epoch milliseconds.

-- ODS: the raw records of raw-logs, byte for byte, with their Kafka coordinates.
CREATE TABLE IF NOT EXISTS ods_raw_logs (
  kafka_partition INT, kafka_offset BIGINT, kafka_timestamp TIMESTAMP,
  record_key BINARY, envelope BINARY)
PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET;

-- ODS: the offset range archived for each hour and partition; sealed once a record of a later hour
-- exists in that partition, after which the range can no longer grow.
CREATE TABLE IF NOT EXISTS ods_archive_ranges (
  kafka_partition INT, from_offset BIGINT, until_offset BIGINT, sealed BOOLEAN,
  archived_at TIMESTAMP)
PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET;

-- ODS: every record of product-config ever archived (its history survives compaction). A record
-- that is not a valid mapping keeps its error and maps nothing.
CREATE TABLE IF NOT EXISTS ods_product_config (
  app_key STRING, product_id STRING, error STRING,
  kafka_partition INT, kafka_offset BIGINT, kafka_timestamp TIMESTAMP, archived_at TIMESTAMP)
STORED AS PARQUET;

-- DWD: every row the contract's decoder gives for the hour's uploads (kind 'event' with the event,
-- or 'reject' with its reason code), with the product the upload's app key mapped to when it
-- arrived (null: no mapping in force then).
CREATE TABLE IF NOT EXISTS dwd_decoded (
  kind STRING, reason STRING, product_id STRING, app_key STRING, device_id STRING,
  channel STRING, event_type STRING, event_time BIGINT, event_index INT,
  kafka_partition INT, kafka_offset BIGINT, arrived BIGINT)
PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET;

-- DWD: uploads that had no mapping when they arrived but got one within the hold time.
CREATE TABLE IF NOT EXISTS dwd_released (
  kafka_partition INT, kafka_offset BIGINT, product_id STRING)
PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET;

-- DWS: the earliest sighting per product and device among one archive hour's events.
CREATE TABLE IF NOT EXISTS dws_first_seen_hourly (
  product_id STRING, device_id STRING, t0 BIGINT, channel STRING, app_key STRING)
PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET;

-- DWS: cumulative first sighting per product and device over every archived hour, with the
-- archive hour it came from (source_hour, 'yyyy-MM-dd HH'; of equal sightings, the earliest hour),
-- so that a publish can merge the hours computed since the last one instead of reading every hour
-- (50_dws_first_seen.sql). Written into slot a or b in turn; the view dws_first_seen shows the
-- slot last written whole, so a reader never sees a publish half done. (A warehouse made before
-- source_hour gets the column added by OfflineEtl and is rebuilt once.)
CREATE TABLE IF NOT EXISTS dws_first_seen_a (
  product_id STRING, device_id STRING, t0 BIGINT, channel STRING, app_key STRING,
  source_hour STRING)
STORED AS PARQUET;
CREATE TABLE IF NOT EXISTS dws_first_seen_b (
  product_id STRING, device_id STRING, t0 BIGINT, channel STRING, app_key STRING,
  source_hour STRING)
STORED AS PARQUET;
CREATE VIEW IF NOT EXISTS dws_first_seen AS SELECT * FROM dws_first_seen_a;

-- ADS: new users per product, hour (in the report time zone) and channel; slots and view as for
-- dws_first_seen. Readers (calibration) read the view.
CREATE TABLE IF NOT EXISTS ads_new_users_hourly_a (
  product_id STRING, bucket STRING, bucket_start BIGINT, channel STRING, new_users BIGINT,
  tz STRING, computed_at TIMESTAMP)
STORED AS PARQUET;
CREATE TABLE IF NOT EXISTS ads_new_users_hourly_b (
  product_id STRING, bucket STRING, bucket_start BIGINT, channel STRING, new_users BIGINT,
  tz STRING, computed_at TIMESTAMP)
STORED AS PARQUET;
CREATE VIEW IF NOT EXISTS ads_new_users_hourly AS SELECT * FROM ads_new_users_hourly_a;

-- Bookkeeping: when DWS and ADS were last rebuilt whole and into which slot; a rebuild that
-- failed is done again.
CREATE TABLE IF NOT EXISTS etl_published (published_at TIMESTAMP, slot STRING) STORED AS PARQUET;

-- Bookkeeping: what each archive hour held when it was last computed.
CREATE TABLE IF NOT EXISTS etl_hours (
  hour_start BIGINT, records BIGINT, events BIGINT, rejects BIGINT, sealed BOOLEAN,
  computed_at TIMESTAMP)
PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET;

-- Bookkeeping: hours that can never be archived whole, because retention deleted some of their
-- records before they were archived; recorded once, reported once, and no longer due.
CREATE TABLE IF NOT EXISTS etl_lost_hours (hour_start BIGINT, partitions STRING, noticed_at TIMESTAMP)
STORED AS PARQUET;
