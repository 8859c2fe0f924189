package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.local.KafkaTopics;
import dev.channelanalytics.local.KafkaTopics.TopicSpec;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Creates the contract's topics on the configured Kafka, as the local stack does, for a cluster a
 * platform team runs: the partitions and replication of the configuration, broker timestamps on the
 * input topics, compaction of the mappings, and {@code min.insync.replicas} one below the
 * replication factor. Topics that exist are left as they are and compared with the configuration;
 * every difference is named, because a wrong partition count or a producer-stamped timestamp
 * changes results silently.
 */
@Command(
    name = "topics",
    description =
        "Create the contract's topics on the configured Kafka (missing ones only) and check the"
            + " existing ones against the configuration: partitions, replication factor,"
            + " timestamps, compaction, min.insync.replicas. Exit 0 when all are as configured, 4"
            + " when a topic differs, 1 when Kafka cannot be reached.")
final class TopicsCommand implements Callable<Integer> {
  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @ParentCommand ChannelCli cli;

  @Option(names = "--dry-run", description = "Only print the topics the configuration asks for.")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    ChannelConfig config = cli.config();
    List<TopicSpec> topics = KafkaTopics.contractTopics(config);
    for (TopicSpec t : topics) {
      System.out.printf(
          "%s: %d partitions, replication factor %d%s%n",
          t.name(),
          t.partitions(),
          t.replication(),
          t.configs().isEmpty() ? "" : ", " + new TreeMap<>(t.configs()));
    }
    if (dryRun) {
      return 0;
    }
    KafkaConnection kafka = KafkaConnection.of(config);
    try {
      KafkaTopics.ensure(kafka, topics, TIMEOUT);
      List<String> differences = KafkaTopics.differences(kafka, topics, TIMEOUT);
      if (differences.isEmpty()) {
        System.out.println("every topic exists as configured");
        return 0;
      }
      System.out.println(
          "these existing topics differ from the configuration (change them with kafka-topics"
              + " and kafka-configs, or the configuration):");
      differences.forEach(d -> System.out.println("  " + d));
      return 4;
    } catch (RuntimeException e) {
      System.err.println("error: Kafka at " + kafka.bootstrapServers() + ": " + e.getMessage());
      return 1;
    }
  }
}
