package dev.channelanalytics.calculator;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.FreePorts;
import dev.channelanalytics.testing.SimulatedTraffic;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The real-time pipeline for a test: fresh topics, keyring, indices and state; the parser and the
 * sharder in their own JVMs as the local stack runs them; the calculator in this JVM.
 */
final class PipelineTestRun implements AutoCloseable {
  final EmbeddedKafka kafka;
  final ChannelConfig config;
  final Keyring keyring;
  final NewUserOracle oracle;
  private final Path dir;
  private final List<ManagedProcess> processes = new ArrayList<>();
  private NewUserCalculatorService calculator;

  PipelineTestRun(EmbeddedKafka kafka, URI elasticsearch, Path dir) throws Exception {
    this.kafka = kafka;
    this.dir = dir;
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    ChannelConfig.Topics topics =
        new ChannelConfig.Topics(
            "raw-" + suffix, "config-" + suffix, "parsed-" + suffix, "dead-" + suffix);
    kafka.createTopic(topics.rawLogs(), 2);
    kafka.createTopic(topics.productConfig(), 1, Map.of("cleanup.policy", "compact"));
    kafka.createTopic(topics.parsedEvents(), 2);
    kafka.createTopic(topics.deadLetters(), 1);
    byte[] k1 = new byte[32];
    new SecureRandom().nextBytes(k1);
    Path keyringFile = dir.resolve("keyring.json");
    Files.writeString(keyringFile, "{\"k1\":\"" + Base64.getEncoder().encodeToString(k1) + "\"}");
    keyring = Keyring.load(keyringFile);
    oracle = new NewUserOracle(keyring);
    config =
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
            .with(Setting.TOPIC_RAW_LOGS, topics.rawLogs())
            .with(Setting.TOPIC_PRODUCT_CONFIG, topics.productConfig())
            .with(Setting.TOPIC_PARSED_EVENTS, topics.parsedEvents())
            .with(Setting.TOPIC_DEAD_LETTERS, topics.deadLetters())
            .with(Setting.ELASTICSEARCH_URL, elasticsearch.toString())
            .with(Setting.KEYRING_FILE, keyringFile.toString())
            .with(Setting.STATE_DIR, dir.resolve("state").toString())
            .with(Setting.UNKNOWN_APP_KEY_HOLD, "PT5S")
            .with(Setting.PARSER_GROUP_ID, "parser-" + suffix)
            .with(Setting.PARSER_TRANSACTIONAL_ID_PREFIX, "parser-" + suffix)
            .with(Setting.PARSER_REST_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_PARSER_HEAP, "512m")
            .with(Setting.SHARDER_GROUP_ID, "sharder-" + suffix)
            .with(Setting.SHARDER_INDEX_PREFIX, "fs-" + suffix + "-")
            .with(Setting.SHARDER_UI_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_SHARDER_HEAP, "768m")
            .with(Setting.CALCULATOR_REPORT_INDEX, "reports-" + suffix);
  }

  /** Publishes simulated traffic starting at {@code startMillis}; the oracle sees the same. */
  void publish(long seed, int envelopes, long startMillis) {
    SimulationSpec spec =
        SimulationSpec.defaults(seed, envelopes, startMillis, Duration.ofHours(3), List.of("k1"));
    SimulatedTraffic.publish(
        kafka.bootstrapServers(),
        config.topics().rawLogs(),
        config.topics().productConfig(),
        new TrafficSimulator(spec, keyring),
        oracle);
  }

  void startPipeline() throws Exception {
    Distributions dist = Distributions.ofThisBuild();
    start(LocalJobs.parser(config, dist, dir.resolve("parser")));
    start(LocalJobs.sharder(config, dist, dir.resolve("sharder")));
    calculator = NewUserCalculatorService.start(config, 0);
  }

  /** Only the calculator, for tests of the API itself. */
  void startCalculatorOnly() throws Exception {
    calculator = NewUserCalculatorService.start(config, 0);
  }

  URI api() {
    return URI.create("http://localhost:" + calculator.port());
  }

  private void start(LocalJob job) throws Exception {
    job.prepare();
    ManagedProcess process = job.start(false);
    processes.add(process);
    Poll.until(job.name() + " healthy", Duration.ofMinutes(2), job::healthy);
  }

  @Override
  public void close() throws Exception {
    if (calculator != null) {
      calculator.close();
    }
    for (ManagedProcess p : processes) {
      p.stop(Duration.ofSeconds(20));
    }
  }
}
