package dev.channelanalytics.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shape {@code channel up --cluster} starts, read from the shipped configuration. */
class LocalClusterTest {
  private static final Path HOME = Path.of("../..").toAbsolutePath().normalize();

  private static ChannelConfig config(String profile) {
    return ChannelConfig.load(HOME.resolve("config/" + profile + "/channel.properties"), HOME);
  }

  private static List<String> names(LocalStack stack) {
    return stack.services().stream().map(StackService::name).toList();
  }

  @Test
  void theClusterRunsEachEngineProcessOnItsOwnAndTheJobsOnThem() {
    ChannelConfig config = config("cluster");
    List<String> names = names(new LocalStack(config, false));

    assertThat(names)
        .doesNotHaveDuplicates()
        .containsSubsequence(
            "kafka-1",
            "kafka-2",
            "kafka-3",
            "elasticsearch-1",
            "elasticsearch-2",
            "flink-jobmanager",
            "flink-taskmanager",
            "parser",
            "spark-master",
            "spark-worker",
            "sharder",
            "calculator",
            "warehouse",
            "calibration",
            "supervisor")
        .doesNotContain("kafka", "elasticsearch");
    assertThat(config.stateDir("parser").toString()).contains(".local/cluster/");
    assertThat(config.kafkaBootstrapServers())
        .isEqualTo("localhost:9192,localhost:9193,localhost:9194");
    assertThat(config.get(Setting.ELASTICSEARCH_URL))
        .isEqualTo("http://localhost:" + config.intValue(Setting.LOCAL_ELASTICSEARCH_PORT));
    assertThat(config.intValue(Setting.TOPIC_REPLICATION_FACTOR)).isEqualTo(3);
    assertThat(config.intValue(Setting.SHARDER_INDEX_REPLICAS)).isEqualTo(1);
  }

  @Test
  void everyPortOfTheClusterIsItsOwnButTheParsersWhichIsItsJobManagers() {
    ChannelConfig config = config("cluster");
    Map<Integer, List<String>> byPort = new HashMap<>();
    for (StackService s : new LocalStack(config, false).services()) {
      if (s.port() != 0) {
        byPort.computeIfAbsent(s.port(), p -> new ArrayList<>()).add(s.name());
      }
    }
    // The ports behind the scenes: controllers, transport, RPC, the master's, the metrics.
    for (int i = 0; i < LocalCluster.KAFKA_BROKERS; i++) {
      byPort
          .computeIfAbsent(
              config.intValue(Setting.LOCAL_KAFKA_CONTROLLER_PORT) + i, p -> new ArrayList<>())
          .add("kafka controller " + (i + 1));
    }
    for (int i = 0; i < LocalCluster.ELASTICSEARCH_NODES; i++) {
      byPort
          .computeIfAbsent(
              config.intValue(Setting.LOCAL_ELASTICSEARCH_TRANSPORT_PORT) + i,
              p -> new ArrayList<>())
          .add("elasticsearch transport " + (i + 1));
    }
    for (Setting s :
        List.of(
            Setting.LOCAL_FLINK_RPC_PORT,
            Setting.LOCAL_SPARK_MASTER_PORT,
            Setting.PARSER_METRICS_PORT,
            Setting.SHARDER_METRICS_PORT,
            Setting.LOCAL_OFFLINE_PORT)) {
      byPort.computeIfAbsent(config.intValue(s), p -> new ArrayList<>()).add(s.key());
    }

    byPort.forEach(
        (port, users) -> {
          if (users.size() > 1) {
            assertThat(users).as("port " + port).containsExactly("flink-jobmanager", "parser");
          }
        });
  }

  @Test
  void theEmbeddedDefaultKeepsOneBrokerOneNodeAndTheJobsInTheirOwnJvms() {
    List<String> names = names(new LocalStack(config("local"), false));

    assertThat(names)
        .startsWith("kafka", "elasticsearch", "parser", "sharder")
        .noneMatch(n -> n.startsWith("flink-") || n.startsWith("spark-"));
  }
}
