package dev.channelanalytics.parser;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.SimulatedTraffic;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One parser run for an integration test: fresh topics, a fresh keyring, simulator traffic with its
 * expected outcome, and the job on a MiniCluster of its own, which a test may hurt.
 */
final class ParserTestRun implements AutoCloseable {
  static final long START = 1_795_428_000_000L;

  final EmbeddedKafka kafka;
  final ChannelConfig.Topics topics;
  final Keyring keyring;
  final NewUserOracle oracle;
  final ParserSettings settings;
  final MiniCluster cluster;
  private JobClient job;

  ParserTestRun(EmbeddedKafka kafka, Path checkpoints, Duration hold) throws Exception {
    this.kafka = kafka;
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    topics =
        new ChannelConfig.Topics(
            "raw-" + suffix, "config-" + suffix, "parsed-" + suffix, "dead-" + suffix);
    kafka.createTopic(topics.rawLogs(), 2);
    kafka.createTopic(topics.productConfig(), 1, Map.of("cleanup.policy", "compact"));
    kafka.createTopic(topics.parsedEvents(), 2);
    kafka.createTopic(topics.deadLetters(), 1);
    SecureRandom random = new SecureRandom();
    byte[] k1 = new byte[32];
    byte[] k2 = new byte[32];
    random.nextBytes(k1);
    random.nextBytes(k2);
    keyring = Keyring.of(Map.of("k1", k1, "k2", k2));
    oracle = new NewUserOracle(keyring);
    settings =
        new ParserSettings(
            kafka.bootstrapServers(),
            topics,
            "parser-" + suffix,
            "parser-" + suffix,
            Duration.ofMinutes(5),
            hold,
            2,
            Duration.ofMillis(500),
            checkpoints.toUri(),
            5,
            Duration.ofMillis(500),
            keyring);
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
    SimulationSpec spec =
        SimulationSpec.defaults(
            seed, envelopes, START, Duration.ofHours(3), List.copyOf(keyring.keyIds()));
    SimulatedTraffic.publish(
        kafka.bootstrapServers(),
        topics.rawLogs(),
        topics.productConfig(),
        new TrafficSimulator(spec, keyring),
        oracle);
  }

  void start() throws Exception {
    TestStreamEnvironment env =
        new TestStreamEnvironment(
            cluster, LogParserJob.engineConfiguration(settings), 2, List.of(), List.of());
    new LogParserJob(settings, ParserConnectors.kafka(settings)).build(env);
    job = env.executeAsync("log parser under test");
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
  }
}
