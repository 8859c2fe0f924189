package dev.channelanalytics.parser;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.parser.functions.EnvelopeParser;
import dev.channelanalytics.parser.functions.ParserOutputs;
import dev.channelanalytics.parser.functions.ProductMappingState;
import dev.channelanalytics.parser.functions.UnmappedBatchHold;
import dev.channelanalytics.parser.metrics.PrometheusReporter;
import dev.channelanalytics.parser.metrics.PrometheusReporterFactory;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.UnmappedEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first stage of the real-time path: {@code raw-logs} to {@code parsed-events} and {@code
 * dead-letters}, exactly once.
 *
 * <pre>
 *  raw-logs ──► decode and enrich ──► parsed-events          (chained: no shuffle on the main path)
 *                  │   ▲  └─ unmapped ─► keyBy(app key) ─► hold ──► parsed-events (released)
 *                  │   │                                    │  ▲
 *                  │   └──── product-config (broadcast) ────┼──┘
 *                  └─ rejects ─────────────────────────────┴──► dead-letters
 * </pre>
 *
 * <p>State backend: the heap ({@code hashmap}) with checkpoints on a file system. The state is
 * small (one mapping per app key, and the batches of unmapped app keys for at most the hold time),
 * so the heap is faster than RocksDB and needs no native library; a deployment with very large held
 * traffic can switch with {@code state.backend.type: rocksdb} without code changes.
 */
public final class LogParserJob {
  private static final Logger LOG = LoggerFactory.getLogger(LogParserJob.class);

  private final ParserSettings settings;
  private final ParserConnectors connectors;

  public LogParserJob(ParserSettings settings, ParserConnectors connectors) {
    this.settings = settings;
    this.connectors = connectors;
  }

  /** Sets the job's parallelism and type rules on {@code env} and adds its operators. */
  public void build(StreamExecutionEnvironment env) {
    env.setParallelism(settings.parallelism());
    // Functions never keep a reference to their input, so chained operators can share objects.
    env.getConfig().enableObjectReuse();
    // Every record type is a POJO or a record of simple fields; a Kryo fallback would be a bug.
    env.getConfig().disableGenericTypes();
    BroadcastStream<ProductMapping> mappings =
        env.fromSource(
                connectors.mappings(), WatermarkStrategy.noWatermarks(), "product-config source")
            .uid("product-config-source")
            .setParallelism(1)
            .broadcast(ProductMappingState.DESCRIPTOR);

    SingleOutputStreamOperator<KafkaPayload> parsed =
        env.fromSource(connectors.rawLogs(), WatermarkStrategy.noWatermarks(), "raw-logs source")
            .uid("raw-logs-source")
            .connect(mappings)
            .process(new EnvelopeParser(settings.keyring()))
            .name("decode and enrich")
            .uid("envelope-parser");
    parsed.sinkTo(connectors.parsedEvents()).name("parsed-events sink").uid("parsed-events-sink");

    SingleOutputStreamOperator<KafkaPayload> released =
        parsed
            .getSideOutput(ParserOutputs.UNMAPPED)
            .keyBy(UnmappedEnvelope::appKey)
            .connect(mappings)
            .process(
                new UnmappedBatchHold(
                    settings.keyring(), settings.hold().toMillis(), settings.holdMaxBytes()))
            .name("hold unmapped batches")
            .uid("unmapped-batch-hold");
    released
        .sinkTo(connectors.releasedEvents())
        .name("released parsed-events sink")
        .uid("released-events-sink");

    DataStream<KafkaPayload> rejects =
        parsed
            .getSideOutput(ParserOutputs.DEAD_LETTERS)
            .union(released.getSideOutput(ParserOutputs.DEAD_LETTERS));
    rejects.sinkTo(connectors.deadLetters()).name("dead-letters sink").uid("dead-letters-sink");
  }

  /** The engine settings of this job: checkpoints, state backend, restarts. */
  public static Configuration engineConfiguration(ParserSettings settings) {
    Configuration conf = new Configuration();
    conf.set(StateBackendOptions.STATE_BACKEND, "hashmap");
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, settings.checkpointDir().toString());
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, settings.checkpointInterval());
    conf.set(
        CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE,
        org.apache.flink.core.execution.CheckpointingMode.EXACTLY_ONCE);
    conf.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
    conf.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, settings.checkpointTimeout());
    conf.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, settings.tolerableFailedCheckpoints());
    // A rate, not a lifetime count: a job that runs for months survives any number of transient
    // failures, and gives up only when they come faster than the rate.
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "failure-rate");
    conf.set(
        RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL,
        settings.restartFailures());
    conf.set(
        RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_FAILURE_RATE_INTERVAL,
        settings.restartFailureInterval());
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY, settings.restartDelay());
    return conf;
  }

  /** Builds the environment, adds the job and runs it until it is cancelled or fails. */
  public JobExecutionResult execute(Configuration conf) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    build(env);
    return env.execute("channel log parser");
  }

  /**
   * The newest completed checkpoint under a local checkpoint folder, from any earlier run, so that
   * a restarted process resumes where the last one stopped.
   */
  static Optional<Path> latestCheckpoint(Path checkpointRoot) throws IOException {
    if (!Files.isDirectory(checkpointRoot)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.find(checkpointRoot, 3, (p, a) -> p.endsWith("_metadata"))) {
      return files
          .filter(p -> p.getParent().getFileName().toString().startsWith("chk-"))
          .max(Comparator.comparing(LogParserJob::modified))
          .map(Path::getParent);
    }
  }

  /**
   * Deletes the checkpoint folders of runs before the one resumed from; each retains its last
   * checkpoint on cancellation, so without this they would pile up across restarts.
   */
  static void pruneEarlierRuns(Path checkpointRoot, Path resumedRun) throws IOException {
    try (Stream<Path> runs = Files.list(checkpointRoot)) {
      for (Path run : runs.filter(Files::isDirectory).toList()) {
        if (!run.equals(resumedRun)) {
          try (Stream<Path> tree = Files.walk(run)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
              Files.deleteIfExists(p);
            }
          }
        }
      }
    }
  }

  /**
   * What to tell the operator when the checkpoint resumed from is older than the transaction
   * timeout: if the parser stopped between that checkpoint and the commit of its output, the broker
   * has aborted that output by now, and the parsed events of up to one checkpoint interval before
   * it are missing from {@code parsed-events} (the dead letters likewise). Nothing tells them apart
   * from a clean stop, so this is said every time, with what repairs it.
   */
  static Optional<String> staleResumeWarning(
      Path checkpoint, Duration transactionTimeout, java.time.Instant now) {
    java.time.Instant written = java.time.Instant.ofEpochMilli(modified(checkpoint));
    Duration age = Duration.between(written, now);
    if (age.compareTo(transactionTimeout) <= 0) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            "The checkpoint resumed from was written %s ago (%s), longer than"
                + " parser.transaction-timeout (%s): if the parser stopped before committing its"
                + " output, the broker has aborted it, and the events parsed in the checkpoint"
                + " interval before %s are not in parsed-events. Calibrate the hours around it"
                + " (channel calibrate --from ... --to ...) or replay them from the archive.",
            age.withNanos(0), written, transactionTimeout, written));
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * With {@code parser.metrics-port} set, Flink reports every metric of this JVM to Prometheus at
   * {@code http://metrics.host:port/metrics} ({@link PrometheusReporter}); on a cluster, the same
   * {@code metrics.reporter.prometheus.*} keys go in the cluster's Flink configuration.
   */
  static void reportMetricsTo(ChannelConfig config, Configuration conf) {
    String port = config.get(Setting.PARSER_METRICS_PORT).trim();
    if (port.isEmpty()) {
      return;
    }
    String prefix = "metrics.reporter.prometheus.";
    conf.setString(prefix + "factory.class", PrometheusReporterFactory.class.getName());
    conf.setString(prefix + "host", config.get(Setting.METRICS_HOST));
    conf.setString(prefix + "port", Integer.toString(config.intValue(Setting.PARSER_METRICS_PORT)));
  }

  /**
   * Runs the job: {@code --config FILE} (default {@code CHANNEL_CONFIG}, else {@code
   * config/local/channel.properties}). Started outside a cluster, it runs on a MiniCluster in this
   * JVM and resumes from the newest checkpoint in a local checkpoint folder; under {@code flink
   * run}, use {@code -s} for that.
   */
  public static void main(String[] args) throws Exception {
    Path configFile = ChannelConfig.configFileOf(args);
    Path home = Path.of(System.getProperty("channel.home", "."));
    ChannelConfig config = ChannelConfig.load(configFile, home);
    ParserSettings settings = ParserSettings.from(config);
    Configuration conf = engineConfiguration(settings);
    // Only used when this JVM runs the MiniCluster itself: Flink's REST API for health and metrics.
    conf.set(RestOptions.BIND_ADDRESS, "localhost");
    conf.set(RestOptions.PORT, config.intValue(Setting.PARSER_REST_PORT));
    // Every other port of the MiniCluster on loopback too (the blob server binds to the job
    // manager's bind host), and no cross-origin calls to the REST API from web pages.
    conf.set(JobManagerOptions.BIND_HOST, "localhost");
    conf.set(JobManagerOptions.ADDRESS, "localhost");
    conf.set(TaskManagerOptions.BIND_HOST, "localhost");
    conf.set(TaskManagerOptions.HOST, "localhost");
    conf.set(
        WebOptions.ACCESS_CONTROL_ALLOW_ORIGIN,
        "http://localhost:" + config.intValue(Setting.PARSER_REST_PORT));
    reportMetricsTo(config, conf);
    if ("file".equals(settings.checkpointDir().getScheme())) {
      Optional<Path> latest = latestCheckpoint(Path.of(settings.checkpointDir()));
      if (latest.isPresent()) {
        LOG.info("Resuming from checkpoint {}", latest.get());
        staleResumeWarning(latest.get(), settings.transactionTimeout(), java.time.Instant.now())
            .ifPresent(LOG::error);
        conf.set(SavepointConfigOptions.SAVEPOINT_PATH, latest.get().toString());
        pruneEarlierRuns(Path.of(settings.checkpointDir()), latest.get().getParent());
      }
    }
    LOG.info("Starting the log parser: {}", config.describe().replace('\n', ' '));
    new LogParserJob(settings, ParserConnectors.kafka(settings)).execute(conf);
  }
}
