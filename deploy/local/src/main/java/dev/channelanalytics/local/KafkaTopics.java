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

  /**
   * The contract's four topics with the configured partition counts and replication. Replicated
   * topics also get {@code min.insync.replicas} of one less than the replication factor (2 of 3):
   * the jobs write with {@code acks=all}, so a write is acknowledged only once it survives the loss
   * of a broker, and one broker may be down without stopping writes.
   */
  public static List<TopicSpec> contractTopics(ChannelConfig config) {
    int replication = config.intValue(Setting.TOPIC_REPLICATION_FACTOR);
    if (replication < 1 || replication > Short.MAX_VALUE) {
      throw new dev.channelanalytics.common.config.ConfigException(
          Setting.TOPIC_REPLICATION_FACTOR.key() + " must be at least 1, not " + replication);
    }
    short rf = (short) replication;
    ChannelConfig.Topics t = config.topics();
    return List.of(
        // Stamped by the broker on arrival: the offline path archives hours by record timestamp
        // and reads mappings in force by it, so producers' clocks must not decide either.
        new TopicSpec(
            t.rawLogs(),
            config.intValue(Setting.PARTITIONS_RAW_LOGS),
            rf,
            replicated(rf, Map.of("message.timestamp.type", "LogAppendTime"))),
        new TopicSpec(
            t.productConfig(),
            config.intValue(Setting.PARTITIONS_PRODUCT_CONFIG),
            rf,
            // Compacted: the latest mapping per app key is kept forever and replayed on start.
            replicated(
                rf,
                Map.of("cleanup.policy", "compact", "message.timestamp.type", "LogAppendTime"))),
        new TopicSpec(
            t.parsedEvents(),
            config.intValue(Setting.PARTITIONS_PARSED_EVENTS),
            rf,
            replicated(rf, Map.of())),
        new TopicSpec(
            t.deadLetters(),
            config.intValue(Setting.PARTITIONS_DEAD_LETTERS),
            rf,
            replicated(rf, Map.of())));
  }

  private static Map<String, String> replicated(short rf, Map<String, String> configs) {
    if (rf < 2) {
      return configs;
    }
    Map<String, String> all = new java.util.TreeMap<>(configs);
    all.put("min.insync.replicas", Integer.toString(rf - 1));
    return Map.copyOf(all);
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

  /**
   * How the existing {@code topics} differ from their specs, one line each: partitions, replication
   * factor, or a topic configuration value; a missing topic is a difference too. Empty when every
   * topic is as specified. (More partitions than specified are a difference: they change which
   * partition a key goes to, and Kafka cannot take partitions away.)
   */
  public static List<String> differences(
      dev.channelanalytics.common.kafka.KafkaConnection kafka,
      List<TopicSpec> topics,
      Duration timeout)
      throws Exception {
    List<String> found = new ArrayList<>();
    try (Admin admin = Admin.create(kafka.properties())) {
      Set<String> existing =
          admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<TopicSpec> present = new ArrayList<>();
      for (TopicSpec t : topics) {
        if (existing.contains(t.name())) {
          present.add(t);
        } else {
          found.add(t.name() + ": missing");
        }
      }
      if (present.isEmpty()) {
        return found;
      }
      List<String> names = present.stream().map(TopicSpec::name).toList();
      Map<String, org.apache.kafka.clients.admin.TopicDescription> described =
          admin
              .describeTopics(names)
              .allTopicNames()
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<org.apache.kafka.common.config.ConfigResource, org.apache.kafka.clients.admin.Config>
          configs =
              admin
                  .describeConfigs(
                      names.stream()
                          .map(
                              n ->
                                  new org.apache.kafka.common.config.ConfigResource(
                                      org.apache.kafka.common.config.ConfigResource.Type.TOPIC, n))
                          .toList())
                  .all()
                  .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      for (TopicSpec t : present) {
        org.apache.kafka.clients.admin.TopicDescription d = described.get(t.name());
        if (d.partitions().size() != t.partitions()) {
          found.add(
              t.name()
                  + ": "
                  + d.partitions().size()
                  + " partitions, the configuration says "
                  + t.partitions());
        }
        int replicas = d.partitions().get(0).replicas().size();
        if (replicas != t.replication()) {
          found.add(
              t.name()
                  + ": replication factor "
                  + replicas
                  + ", the configuration says "
                  + t.replication());
        }
        org.apache.kafka.clients.admin.Config config =
            configs.get(
                new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, t.name()));
        for (Map.Entry<String, String> wanted : new java.util.TreeMap<>(t.configs()).entrySet()) {
          org.apache.kafka.clients.admin.ConfigEntry entry = config.get(wanted.getKey());
          String actual = entry == null ? null : entry.value();
          if (!wanted.getValue().equals(actual)) {
            found.add(
                t.name() + ": " + wanted.getKey() + "=" + actual + ", wanted " + wanted.getValue());
          }
        }
      }
    }
    return found;
  }
}
