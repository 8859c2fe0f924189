package dev.channelanalytics.sharder;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.ParsedBatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second stage of the real-time path: {@code parsed-events} to first-seen documents in
 * Elasticsearch, one micro-batch at a time.
 *
 * <p>Structured Streaming, not DStreams: {@code parsed-events} is written by transactions, so its
 * offsets have gaps (commit markers) and every range ends on one. The DStream Kafka RDD waits for a
 * record at such an offset and fails the task (SPARK-24720, never fixed); the Structured Streaming
 * source handles them (SPARK-25005). Progress is the checkpoint's offset log, written before a
 * batch, and its commit log, written after {@code foreachBatch} returns, that is after
 * Elasticsearch has acknowledged every write; a batch cut short is run again with the same offsets
 * on restart, and the writes are idempotent. The group offsets in Kafka are committed after each
 * batch too, for lag monitoring only.
 */
public final class SharderJob {
  private static final Logger LOG = LoggerFactory.getLogger(SharderJob.class);

  private final SharderSettings settings;

  public SharderJob(SharderSettings settings) {
    this.settings = settings;
  }

  /** Starts the streaming query on {@code spark}; it runs until stopped or failed. */
  public StreamingQuery start(SparkSession spark) throws Exception {
    Dataset<Row> records =
        spark
            .readStream()
            .format("kafka")
            .option("kafka.bootstrap.servers", settings.bootstrapServers())
            .option("subscribe", settings.parsedEvents())
            .option("startingOffsets", "earliest")
            .option("kafka.isolation.level", "read_committed")
            .option("maxOffsetsPerTrigger", settings.maxOffsetsPerTrigger())
            .load()
            .select("value", "partition", "offset");
    GroupProgressCommitter committer = new GroupProgressCommitter(settings);
    spark.streams().addListener(committer);
    StreamingQuery query =
        records
            .writeStream()
            .queryName("first-seen")
            .option("checkpointLocation", settings.checkpointDir())
            .trigger(Trigger.ProcessingTime(settings.trigger().toMillis(), TimeUnit.MILLISECONDS))
            .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::processBatch)
            .start();
    committer.watch(query.id());
    return query;
  }

  private void processBatch(Dataset<Row> batch, Long batchId) {
    long start = System.currentTimeMillis();
    SharderSettings s = settings;
    List<PartitionOutcome> outcomes =
        batch
            .javaRDD()
            .mapPartitions(
                rows -> {
                  List<ParsedBatch> parsed = new ArrayList<>();
                  int partition = -1;
                  long foreign = 0;
                  while (rows.hasNext()) {
                    Row row = rows.next();
                    partition = row.getInt(1);
                    try {
                      parsed.add(ParsedBatch.fromJson((byte[]) row.get(0)));
                    } catch (IllegalArgumentException e) {
                      // A poison pill must not stop the stage: skipped, logged, counted.
                      foreign++;
                      LOG.warn(
                          "Skipping parsed-events record {}@{}: {}",
                          partition,
                          row.getLong(2),
                          abbreviate(e.getMessage()));
                    }
                  }
                  FirstSeenShardWriter writer =
                      new FirstSeenShardWriter(s.store(), KnownFirstSeen.shared(s.cacheEntries()));
                  return List.of(
                          writer.write(batchId, partition, parsed, start).withForeign(foreign))
                      .iterator();
                })
            .collect();
    report(batchId, start, outcomes);
  }

  private void report(long batchId, long start, List<PartitionOutcome> outcomes) {
    long in = 0;
    long users = 0;
    long skippedKnown = 0;
    long skippedStored = 0;
    long written = 0;
    long conflicts = 0;
    long unorderable = 0;
    long foreign = 0;
    Map<String, Set<Long>> changed = new HashMap<>();
    for (PartitionOutcome o : outcomes) {
      in += o.recordsIn();
      users += o.users();
      skippedKnown += o.skippedKnown();
      skippedStored += o.skippedStored();
      written += o.written();
      conflicts += o.conflicts();
      unorderable += o.unorderable();
      foreign += o.foreign();
      o.changed().forEach((p, m) -> changed.computeIfAbsent(p, k -> new TreeSet<>()).addAll(m));
    }
    long buckets = changed.values().stream().mapToLong(Set::size).sum();
    if (in > 0 || batchId % 60 == 0) {
      LOG.info(
          "batch {}: {} records, {} users, written {}, conflicts {}, skipped {} known + {}"
              + " stored, unorderable {}, foreign {}, {} buckets changed, {} ms (trigger {} ms)",
          batchId,
          in,
          users,
          written,
          conflicts,
          skippedKnown,
          skippedStored,
          unorderable,
          foreign,
          buckets,
          System.currentTimeMillis() - start,
          settings.trigger().toMillis());
    }
  }

  private static String abbreviate(String message) {
    return message == null || message.length() <= 300 ? message : message.substring(0, 300) + "…";
  }

  /**
   * Runs the sharder: {@code --config FILE} (default {@code CHANNEL_CONFIG}, else {@code
   * config/local/channel.properties}). Outside spark-submit it runs on {@code sharder.spark-master}
   * (local[2]) with the Spark UI on {@code sharder.ui-port}.
   */
  public static void main(String[] args) throws Exception {
    Path home = Path.of(System.getProperty("channel.home", "."));
    ChannelConfig config = ChannelConfig.load(ChannelConfig.configFileOf(args), home);
    SharderSettings settings = SharderSettings.from(config);
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("channel sharder")
            .config("spark.ui.port", config.intValue(Setting.SHARDER_UI_PORT))
            .config("spark.sql.shuffle.partitions", 2)
            .config("spark.sql.streaming.minBatchesToRetain", 20);
    if (!new org.apache.spark.SparkConf().contains("spark.master")) {
      builder.master(settings.sparkMaster());
    }
    SparkSession spark = builder.getOrCreate();
    LOG.info("Starting the sharder: {}", config.describe().replace('\n', ' '));
    new SharderJob(settings).start(spark).awaitTermination();
  }
}
