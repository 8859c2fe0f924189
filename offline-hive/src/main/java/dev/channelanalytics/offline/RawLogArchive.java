package dev.channelanalytics.offline;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Archives the {@code raw-logs} records of one hour, by record timestamp (UTC), into the ODS table
 * {@code ods_raw_logs} partitioned by {@code dt} and {@code hour}.
 *
 * <p>A record belongs to the hour of its timestamp, so every record lands in exactly one partition.
 * Timestamps need not rise with offsets (producers' clocks), so the archive reads a slightly wider
 * offset range ({@link #SKEW} either side, found with {@code offsetsForTimes}) and keeps the
 * records whose timestamp is in the hour. The partition is written with {@code INSERT OVERWRITE},
 * so running an hour again replaces it: nothing twice, nothing skipped, as long as the records are
 * still within Kafka's retention. When they are not, the Kafka source fails the run ({@code
 * failOnDataLoss}) and the hour is reported as not archivable rather than archived short. Each run
 * records its offset ranges in {@code ods_archive_ranges}.
 */
public final class RawLogArchive {
  /** How far a record's timestamp may trail the offsets around it. */
  static final Duration SKEW = Duration.ofMinutes(15);

  private static final DateTimeFormatter DT = DateTimeFormatter.ofPattern("yyyy-MM-dd");

  private final SparkSession spark;
  private final String bootstrapServers;
  private final String topic;

  public RawLogArchive(SparkSession spark, String bootstrapServers, String topic) {
    this.spark = spark;
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
  }

  /** Creates the ODS tables unless they exist. */
  public void createTables() {
    spark.sql(
        "CREATE TABLE IF NOT EXISTS ods_raw_logs (kafka_partition INT, kafka_offset BIGINT,"
            + " kafka_timestamp TIMESTAMP, record_key BINARY, envelope BINARY)"
            + " PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET");
    spark.sql(
        "CREATE TABLE IF NOT EXISTS ods_archive_ranges (kafka_partition INT, from_offset BIGINT,"
            + " until_offset BIGINT, records BIGINT, archived_at TIMESTAMP)"
            + " PARTITIONED BY (dt STRING, hour STRING) STORED AS PARQUET");
  }

  /**
   * Archives the hour starting at {@code hour} (UTC, truncated to the hour) and returns how many
   * records it holds.
   */
  public long archive(Instant hour) {
    Instant start = hour.truncatedTo(ChronoUnit.HOURS);
    Instant end = start.plus(1, ChronoUnit.HOURS);
    Map<TopicPartition, long[]> ranges = offsetRanges(start.minus(SKEW), end.plus(SKEW));
    String dt = DT.format(start.atOffset(ZoneOffset.UTC));
    String hh = String.format("%02d", start.atOffset(ZoneOffset.UTC).getHour());
    Dataset<Row> records =
        spark
            .read()
            .format("kafka")
            .option("kafka.bootstrap.servers", bootstrapServers)
            .option("kafka.isolation.level", "read_committed")
            .option("subscribe", topic)
            .option("startingOffsets", offsetsJson(ranges, 0))
            .option("endingOffsets", offsetsJson(ranges, 1))
            .option("failOnDataLoss", "true")
            .load()
            .where(
                "timestamp >= cast("
                    + start.getEpochSecond()
                    + " as timestamp)"
                    + " AND timestamp < cast("
                    + end.getEpochSecond()
                    + " as timestamp)");
    records.createOrReplaceTempView("archive_hour");
    spark.sql(
        "INSERT OVERWRITE TABLE ods_raw_logs PARTITION (dt='"
            + dt
            + "', hour='"
            + hh
            + "')"
            + " SELECT partition, offset, timestamp, key, value FROM archive_hour");
    spark.sql(
        "INSERT OVERWRITE TABLE ods_archive_ranges PARTITION (dt='"
            + dt
            + "', hour='"
            + hh
            + "')"
            + " SELECT partition, min(offset), max(offset) + 1, count(*), current_timestamp()"
            + " FROM archive_hour GROUP BY partition");
    return spark
        .sql("SELECT count(*) FROM ods_raw_logs WHERE dt='" + dt + "' AND hour='" + hh + "'")
        .first()
        .getLong(0);
  }

  /**
   * Per partition, [first offset at or after {@code from}, first offset at or after {@code to}).
   */
  private Map<TopicPartition, long[]> offsetRanges(Instant from, Instant to) {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrapServers);
    p.setProperty("isolation.level", "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      List<TopicPartition> partitions =
          infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      Map<TopicPartition, Long> fromQuery = new HashMap<>();
      Map<TopicPartition, Long> toQuery = new HashMap<>();
      partitions.forEach(
          tp -> {
            fromQuery.put(tp, from.toEpochMilli());
            toQuery.put(tp, to.toEpochMilli());
          });
      Map<TopicPartition, OffsetAndTimestamp> fromOffsets =
          consumer.offsetsForTimes(fromQuery, Duration.ofSeconds(30));
      Map<TopicPartition, OffsetAndTimestamp> toOffsets =
          consumer.offsetsForTimes(toQuery, Duration.ofSeconds(30));
      Map<TopicPartition, long[]> out = new HashMap<>();
      for (TopicPartition tp : partitions) {
        long end = ends.get(tp);
        OffsetAndTimestamp f = fromOffsets.get(tp);
        OffsetAndTimestamp t = toOffsets.get(tp);
        out.put(tp, new long[] {f == null ? end : f.offset(), t == null ? end : t.offset()});
      }
      return out;
    }
  }

  private String offsetsJson(Map<TopicPartition, long[]> ranges, int which) {
    StringBuilder json = new StringBuilder("{\"").append(topic).append("\":{");
    boolean first = true;
    for (Map.Entry<TopicPartition, long[]> e : ranges.entrySet()) {
      if (!first) {
        json.append(',');
      }
      first = false;
      json.append('"').append(e.getKey().partition()).append("\":").append(e.getValue()[which]);
    }
    return json.append("}}").toString();
  }
}
