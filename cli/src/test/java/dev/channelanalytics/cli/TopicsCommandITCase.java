package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.local.KafkaTopics;
import dev.channelanalytics.testing.KafkaExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code channel topics} against a real broker: creates the contract's topics as configured (the
 * broker's timestamps on the input topics, compaction of the mappings), is safe to run again, and
 * names an existing topic that differs from the configuration with exit 4.
 */
class TopicsCommandITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @TempDir Path dir;

  @Test
  void createsTheContractTopicsAsConfiguredAndNamesAnExistingTopicThatDiffers() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String raw = "raw-" + suffix;
    String mappings = "config-" + suffix;
    String parsed = "parsed-" + suffix;
    String dead = "dead-" + suffix;
    // Already there, with 2 partitions and the producer's timestamps: not what the config says.
    KAFKA.kafka().createTopic(dead, 2);
    Path configFile =
        TestConfigFile.write(
            dir,
            "kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
            "topic.raw-logs=" + raw,
            "topic.product-config=" + mappings,
            "topic.parsed-events=" + parsed,
            "topic.dead-letters=" + dead,
            "topic.raw-logs.partitions=3",
            "topic.parsed-events.partitions=2",
            "topic.dead-letters.partitions=1");

    Run first = run(configFile);
    assertThat(first.exit()).as(first.out()).isEqualTo(4);
    assertThat(first.out())
        .contains(
            raw + ": 3 partitions, replication factor 1, {message.timestamp.type=LogAppendTime}")
        .contains(dead + ": 2 partitions, the configuration says 1")
        .doesNotContain(raw + ": missing");

    try (Admin admin =
        Admin.create(KafkaConnection.plaintext(KAFKA.bootstrapServers()).properties())) {
      assertThat(admin.listTopics().names().get()).contains(raw, mappings, parsed, dead);
      assertThat(admin.describeTopics(List.of(raw)).allTopicNames().get().get(raw).partitions())
          .hasSize(3);
      assertThat(config(admin, raw).get("message.timestamp.type").value())
          .isEqualTo("LogAppendTime");
      assertThat(config(admin, mappings).get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(config(admin, mappings).get("message.timestamp.type").value())
          .isEqualTo("LogAppendTime");
    }

    // With the configuration matching what exists, a second run changes nothing and says so.
    java.nio.file.Files.writeString(
        configFile,
        java.nio.file.Files.readString(configFile)
            .replace("topic.dead-letters.partitions=1", "topic.dead-letters.partitions=2"));
    Run second = run(configFile);
    assertThat(second.exit()).as(second.out()).isZero();
    assertThat(second.out()).contains("every topic exists as configured");
  }

  @Test
  void replicatedTopicsNeedAllButOneReplicaInSync() {
    ChannelConfig replicated =
        ChannelConfig.load(null, dir, Map.of(), new java.util.Properties())
            .with(dev.channelanalytics.common.config.Setting.TOPIC_REPLICATION_FACTOR, "3");
    assertThat(KafkaTopics.contractTopics(replicated))
        .allSatisfy(
            t -> {
              assertThat(t.replication()).isEqualTo((short) 3);
              assertThat(t.configs()).containsEntry("min.insync.replicas", "2");
            });
    ChannelConfig single = ChannelConfig.load(null, dir, Map.of(), new java.util.Properties());
    assertThat(KafkaTopics.contractTopics(single))
        .allSatisfy(t -> assertThat(t.configs()).doesNotContainKey("min.insync.replicas"));
  }

  private static Config config(Admin admin, String topic) throws Exception {
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(Set.of(r)).all().get().get(r);
  }

  private record Run(int exit, String out) {}

  private static Run run(Path configFile) {
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    System.setOut(capture);
    System.setErr(capture);
    try {
      int exit = ChannelCli.run("--config", configFile.toString(), "topics");
      return new Run(exit, buffer.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
      System.setErr(stderr);
    }
  }
}
