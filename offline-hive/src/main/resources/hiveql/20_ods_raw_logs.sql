-- Archives the hour's offset range of raw-logs: per partition, from the first record stamped at or
-- after the hour's start to the first stamped at or after its end. Consecutive hours' ranges tile
-- the partition, so every record is archived exactly once whatever its timestamp. Re-running
-- overwrites the hour. Records already deleted by retention fail the run (failOnDataLoss).
-- Variables: dt, hour, kafka_options (the connection's options), raw_topic, raw_from and raw_until (Spark Kafka offsets
-- JSON), ranges (a VALUES list of partition, from, until, sealed).
CREATE OR REPLACE TEMPORARY VIEW raw_hour
USING kafka
OPTIONS (
  ${hivevar:kafka_options}
  'kafka.isolation.level' 'read_committed',
  'subscribe' '${hivevar:raw_topic}',
  'startingOffsets' '${hivevar:raw_from}',
  'endingOffsets' '${hivevar:raw_until}',
  'failOnDataLoss' 'true');

INSERT OVERWRITE TABLE ods_raw_logs PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT partition, offset, timestamp, key, value FROM raw_hour;

INSERT OVERWRITE TABLE ods_archive_ranges PARTITION (dt = '${hivevar:dt}', hour = '${hivevar:hour}')
SELECT kafka_partition, from_offset, until_offset, sealed, current_timestamp()
FROM VALUES ${hivevar:ranges} AS r(kafka_partition, from_offset, until_offset, sealed);
