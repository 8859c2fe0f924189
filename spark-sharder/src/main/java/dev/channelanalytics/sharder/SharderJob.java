package dev.channelanalytics.sharder;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.retry.RestartBackoff;
import dev.channelanalytics.metrics.MetricsEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
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

  /**
   * The query's name. With {@code spark.sql.streaming.metricsEnabled} its metrics are registered as
   * {@code spark.streaming.first-seen.*} while it runs and removed when it ends, so the metrics
   * servlet of the Spark UI ({@code /metrics/json}) says whether the query, not only the
   * application, is alive: the local stack's health probe reads it.
   */
  public static final String QUERY_NAME = "first-seen";

  private final SharderSettings settings;
  private volatile boolean stopping;
  private volatile StreamingQuery current;
  private GroupProgressCommitter committer;
  private final AtomicInteger restarts = new AtomicInteger();
  private final SharderMetrics metrics;
  private boolean listening;

  public SharderJob(SharderSettings settings) {
    this.settings = settings;
    this.metrics = new SharderMetrics(settings.trigger(), restarts::get);
  }

  /** The job's metrics, for the endpoint {@link #main} serves them from. */
  public dev.channelanalytics.metrics.ServiceMetrics metrics() {
    return metrics.metrics();
  }

  /**
   * Runs the query until {@link #stop()}: a query that fails (Kafka unreachable past the source's
   * retries, a task that failed {@code spark.task.maxFailures} times) is logged and started again
   * from its checkpoint after a back-off of 1 s doubling to 1 min (reset once a query has run for
   * 10 min), so neither a broker restart nor a long outage ends the sharder. Its writes are
   * idempotent, so a batch run again changes nothing.
   */
  public void run(SparkSession spark) throws Exception {
    int consecutive = 0;
    while (!stopping) {
      long started = System.nanoTime();
      StreamingQuery query = start(spark);
      try {
        query.awaitTermination();
        if (!stopping) {
          LOG.error("The first-seen query stopped without being asked to; starting it again");
        }
      } catch (StreamingQueryException e) {
        if (stopping) {
          break;
        }
        boolean stable = System.nanoTime() - started > RestartBackoff.STABLE.toNanos();
        consecutive = stable ? 0 : consecutive;
        Duration delay = restartDelay(consecutive++);
        LOG.error(
            "The first-seen query failed (restart {} in {} s): {}",
            restarts.get() + 1,
            delay.toSeconds(),
            e.cause() == null ? e.toString() : e.cause().toString());
        Thread.sleep(delay.toMillis());
      }
      if (!stopping) {
        restarts.incrementAndGet();
      }
    }
  }

  /** Stops the running query and {@link #run}; safe from any thread. */
  public void stop() throws java.util.concurrent.TimeoutException {
    stopping = true;
    StreamingQuery q = current;
    if (q != null) {
      q.stop();
    }
  }

  /** How often {@link #run} has started the query again after it ended. */
  public int restarts() {
    return restarts.get();
  }

  static Duration restartDelay(int consecutive) {
    return RestartBackoff.delay(consecutive);
  }

  /**
   * How long the broker may hold a fetch of {@code parsed-events} that finds nothing committed
   * (Kafka's default is 500 ms). After a task reads the last record of its range, its consumer's
   * next fetch parks at the end of the committed log (records of an open transaction do not wake
   * it), and the next batch's read of that partition waits for it: with the default, reading a
   * partition's few hundred records took half a second in one batch and 40 ms in the next, and the
   * sharder's share of freshness was p50 2.4 s at 2,000 envelopes/s. Fetches are made only while a
   * task reads.
   */
  static final String FETCH_MAX_WAIT_MS = "20";

  /** Starts the streaming query on {@code spark}; it runs until stopped or failed. */
  public StreamingQuery start(SparkSession spark) throws Exception {
    spark.conf().set("spark.sql.streaming.metricsEnabled", "true");
    Dataset<Row> records =
        spark
            .readStream()
            .format("kafka")
            .options(settings.kafka().sparkOptions())
            .option("subscribe", settings.parsedEvents())
            .option("startingOffsets", "earliest")
            .option("kafka.isolation.level", "read_committed")
            .option("kafka.fetch.max.wait.ms", FETCH_MAX_WAIT_MS)
            .option("maxOffsetsPerTrigger", settings.maxOffsetsPerTrigger())
            .load()
            .select("value", "partition", "offset");
    if (committer != null) {
      spark.streams().removeListener(committer);
    }
    committer = new GroupProgressCommitter(settings);
    spark.streams().addListener(committer);
    if (!listening) {
      spark.streams().addListener(metrics);
      listening = true;
    }
    StreamingQuery query =
        records
            .writeStream()
            .queryName(QUERY_NAME)
            .option("checkpointLocation", settings.checkpointDir())
            .trigger(Trigger.ProcessingTime(settings.trigger().toMillis(), TimeUnit.MILLISECONDS))
            .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::processBatch)
            .start();
    committer.watch(query.id());
    current = query;
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
    metrics.batch(
        new PartitionOutcome(
            in,
            users,
            skippedKnown,
            skippedStored,
            written,
            conflicts,
            unorderable,
            Map.of(),
            foreign),
        buckets);
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
   * ({@code local[2,4]}: two threads, each task tried four times) with the Spark UI on {@code
   * sharder.ui-port}.
   */
  public static void main(String[] args) throws Exception {
    Path home = Path.of(System.getProperty("channel.home", "."));
    ChannelConfig config = ChannelConfig.load(ChannelConfig.configFileOf(args), home);
    SharderSettings settings = SharderSettings.from(config);
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("channel sharder")
            .config("spark.ui.port", config.intValue(Setting.SHARDER_UI_PORT))
            // The UI shows the job; it may not stop it.
            .config("spark.ui.killEnabled", false)
            .config("spark.sql.shuffle.partitions", 2)
            .config("spark.sql.streaming.minBatchesToRetain", 20)
            // On a cluster: a task is tried four times before its batch fails (in local mode the
            // master's second number says the same: local[2,4]).
            .config("spark.task.maxFailures", 4);
    if (!new org.apache.spark.SparkConf().contains("spark.master")) {
      // Run by this JVM, on this machine: the driver and block manager on loopback only.
      builder
          .master(settings.sparkMaster())
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.driver.host", "127.0.0.1");
    }
    SparkSession spark = builder.getOrCreate();
    LOG.info("Starting the sharder: {}", config.describe().replace('\n', ' '));
    SharderJob job = new SharderJob(settings);
    String metricsPort = config.get(Setting.SHARDER_METRICS_PORT).trim();
    if (!metricsPort.isEmpty()) {
      try {
        // For the life of the JVM: it goes down with it.
        MetricsEndpoint.start(
            job.metrics(),
            config.get(Setting.METRICS_HOST),
            config.intValue(Setting.SHARDER_METRICS_PORT));
      } catch (java.io.UncheckedIOException e) {
        // Metrics are not worth a stopped stage; the scraper sees the target down and alerts.
        LOG.error("The sharder runs without its metrics endpoint: {}", e.getMessage());
      }
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    job.stop();
                  } catch (Exception e) {
                    // the JVM is going anyway; the checkpoint has what was committed
                  }
                },
                "stop-sharder"));
    job.run(spark);
  }
}
