package dev.channelanalytics.parser;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.PipelineFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The parser on a MiniCluster of its own, which a test may hurt, for one run of the pipeline
 * fixture (fresh topics, keyring of two keys, simulator traffic and the reference model).
 */
final class ParserOnMiniCluster implements AutoCloseable {
  final PipelineFixture fixture;
  final ChannelConfig.Topics topics;
  final NewUserOracle oracle;
  final ParserSettings settings;
  final MiniCluster cluster;
  static final int TOLERABLE_FAILED_CHECKPOINTS = 2;
  private final long start = PipelineFixture.recentStart();
  private JobClient job;

  ParserOnMiniCluster(EmbeddedKafka kafka, Path dir, Duration hold) throws Exception {
    this(kafka, dir, hold, 5, Duration.ofMinutes(1));
  }

  /**
   * @param restartFailures failures within {@code failureInterval} after which the job gives up
   */
  ParserOnMiniCluster(
      EmbeddedKafka kafka, Path dir, Duration hold, int restartFailures, Duration failureInterval)
      throws Exception {
    fixture = new PipelineFixture(kafka, (java.net.URI) null, dir, "k1", "k2");
    topics = fixture.topics();
    oracle = fixture.oracle;
    settings =
        new ParserSettings(
            dev.channelanalytics.common.kafka.KafkaConnection.plaintext(kafka.bootstrapServers()),
            topics,
            "parser-" + fixture.suffix,
            "parser-" + fixture.suffix,
            Duration.ofMinutes(10),
            Duration.ofMinutes(15),
            hold,
            32L << 20,
            2,
            Duration.ofMillis(500),
            dir.resolve("checkpoints").toUri(),
            Duration.ofSeconds(10),
            TOLERABLE_FAILED_CHECKPOINTS,
            restartFailures,
            failureInterval,
            Duration.ofMillis(200),
            Duration.ofMillis(5),
            dev.channelanalytics.common.contract.KeyringSource.of(fixture.keys.keyring()));
    Configuration conf = LogParserJob.engineConfiguration(settings);
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, 2);
    cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(2)
                .build());
    cluster.start();
  }

  /** Publishes {@code envelopes} simulated envelopes (and their mappings) and feeds the oracle. */
  void publish(long seed, int envelopes) {
    fixture.publish(fixture.traffic(seed, envelopes, start, Duration.ofHours(3)), null);
  }

  /** Publishes raw-logs values as they are (garbage included) and feeds the oracle. */
  void publishRaw(byte[]... values) {
    List<SimulatedRecord> records = new java.util.ArrayList<>();
    for (byte[] v : values) {
      records.add(new SimulatedRecord(SimulatedRecord.Destination.RAW_LOGS, null, v, null));
    }
    fixture.publish(records, null);
  }

  /** A valid envelope of {@code batch}, gzipped, with key {@code k1} received at the start. */
  byte[] envelope(dev.channelanalytics.common.contract.PlaintextBatch batch) {
    return new dev.channelanalytics.common.contract.EnvelopeEncoder(
            fixture.keys.keyring(), new java.util.Random(1))
        .encode("k1", "test", start, batch, true);
  }

  void start() throws Exception {
    TestStreamEnvironment env =
        new TestStreamEnvironment(
            cluster, LogParserJob.engineConfiguration(settings), 2, List.of(), List.of());
    new LogParserJob(settings, ParserConnectors.kafka(settings)).build(env);
    job = env.executeAsync("log parser under test");
  }

  org.apache.flink.api.common.JobID jobId() {
    return job.getJobID();
  }

  /** The job as its job manager sees it now: checkpoint statistics, task attempts. */
  org.apache.flink.runtime.executiongraph.AccessExecutionGraph graph() throws Exception {
    return cluster.getExecutionGraph(job.getJobID()).get();
  }

  /** How often the job has been restarted: the attempt number of its first task. */
  int restarts() throws Exception {
    return graph()
        .getAllExecutionVertices()
        .iterator()
        .next()
        .getCurrentExecutionAttempt()
        .getAttemptNumber();
  }

  /** The id of the latest completed checkpoint, 0 before the first. */
  long latestCheckpoint() throws Exception {
    var latest = graph().getCheckpointStatsSnapshot().getHistory().getLatestCompletedCheckpoint();
    return latest == null ? 0 : latest.getCheckpointId();
  }

  /** The job's status now. */
  org.apache.flink.api.common.JobStatus jobStatus() throws Exception {
    return job.getJobStatus().get();
  }

  static ParsedBatch parsed(ConsumerRecord<byte[], byte[]> r) {
    return ParsedBatch.fromJson(r.value());
  }

  static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> r) {
    return DeadLetter.fromJson(r.value());
  }

  @Override
  public void close() throws Exception {
    if (job != null) {
      try {
        job.cancel().get();
      } catch (Exception e) {
        // Already finished or failed; the cluster goes anyway.
      }
    }
    cluster.close();
    fixture.close();
  }
}
