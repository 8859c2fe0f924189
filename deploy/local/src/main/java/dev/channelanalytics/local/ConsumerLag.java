package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.kafka.PipelineStages;
import dev.channelanalytics.common.kafka.TopicOffsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each stage of the real-time path has not consumed yet, for {@code channel status}: the
 * read_committed end offsets of its input minus the offsets its group committed once its output was
 * durable. When every lag is 0, the pipeline has consumed everything published so far.
 */
public final class ConsumerLag {
  /** Short, so that {@code channel status} answers promptly when Kafka is down. */
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** Lag reported for a stage that cannot be read (Kafka down, topic missing). */
  public static final long UNKNOWN = -1;

  private ConsumerLag() {}

  /**
   * Each stage's lag in pipeline order, keyed {@code "stage (topic)"}; a stage that never committed
   * counts everything, one that cannot be read is {@link #UNKNOWN}.
   */
  public static Map<String, Long> of(ChannelConfig config) {
    Map<String, Long> out = new LinkedHashMap<>();
    try (TopicOffsets offsets = new TopicOffsets(KafkaConnection.of(config), TIMEOUT)) {
      for (PipelineStages.Stage stage : PipelineStages.of(config)) {
        out.put(
            stage.name() + " (" + stage.topic() + ")", lag(offsets, stage.group(), stage.topic()));
      }
    }
    return out;
  }

  private static long lag(TopicOffsets offsets, String group, String topic) {
    try {
      return offsets.lag(group, topic);
    } catch (RuntimeException e) {
      return UNKNOWN;
    }
  }
}
