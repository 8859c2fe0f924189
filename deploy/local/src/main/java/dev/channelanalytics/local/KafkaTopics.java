package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates topics and blocks until the broker reports them, so callers never race a new topic. */
public final class KafkaTopics {
  /** A topic to create: its name, size and topic-level configuration. */
  public record TopicSpec(
      String name, int partitions, short replication, Map<String, String> configs) {}

  private KafkaTopics() {}

  /** The contract's four topics with the configured partition counts. */
  public static List<TopicSpec> contractTopics(ChannelConfig config) {
    short rf = (short) config.intValue(Setting.TOPIC_REPLICATION_FACTOR);
    ChannelConfig.Topics t = config.topics();
    return List.of(
        // Stamped by the broker on arrival: the offline path archives hours by record timestamp
        // and reads mappings in force by it, so producers' clocks must not decide either.
        new TopicSpec(
            t.rawLogs(),
            config.intValue(Setting.PARTITIONS_RAW_LOGS),
            rf,
            Map.of("message.timestamp.type", "LogAppendTime")),
        new TopicSpec(
            t.productConfig(),
            config.intValue(Setting.PARTITIONS_PRODUCT_CONFIG),
            rf,
            // Compacted: the latest mapping per app key is kept forever and replayed on start.
            Map.of("cleanup.policy", "compact", "message.timestamp.type", "LogAppendTime")),
        new TopicSpec(
            t.parsedEvents(), config.intValue(Setting.PARTITIONS_PARSED_EVENTS), rf, Map.of()),
        new TopicSpec(
            t.deadLetters(), config.intValue(Setting.PARTITIONS_DEAD_LETTERS), rf, Map.of()));
  }

  /** Creates the topics that do not exist yet and waits until all of them are visible. */
  public static void ensure(String bootstrapServers, List<TopicSpec> topics, Duration timeout) {
    ensure(
        dev.channelanalytics.common.kafka.KafkaConnection.plaintext(bootstrapServers),
        topics,
        timeout);
  }

  /** As {@link #ensure(String, List, Duration)}, on brokers reached through {@code kafka}. */
  public static void ensure(
      dev.channelanalytics.common.kafka.KafkaConnection kafka,
      List<TopicSpec> topics,
      Duration timeout) {
    Properties p = kafka.properties();
    try (Admin admin = Admin.create(p)) {
      List<NewTopic> creations = new ArrayList<>();
      for (TopicSpec t : topics) {
        creations.add(new NewTopic(t.name(), t.partitions(), t.replication()).configs(t.configs()));
      }
      admin
          .createTopics(creations)
          .values()
          .forEach(
              (name, future) -> {
                try {
                  future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                  if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name, e.getCause());
                  }
                } catch (Exception e) {
                  throw new IllegalStateException("cannot create topic " + name, e);
                }
              });
      Set<String> wanted = Set.copyOf(topics.stream().map(TopicSpec::name).toList());
      Poll.until(
          "topics " + wanted,
          timeout,
          () ->
              admin
                  .describeTopics(wanted)
                  .allTopicNames()
                  .get(5, TimeUnit.SECONDS)
                  .values()
                  .stream()
                  .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null)));
    }
  }
}
