package dev.channelanalytics.common.kafka;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.util.List;

/**
 * The consuming stages of the real-time path, each with the consumer group it commits its progress
 * to once its output is durable and the topic it reads: what {@code channel status} and the lag
 * metrics measure lag by. The one list of them.
 */
public final class PipelineStages {
  /** One stage: its name in status lines and metric labels, its group and its input topic. */
  public record Stage(String name, String group, String topic) {}

  private PipelineStages() {}

  /** The parser (reads raw-logs) and the sharder (reads parsed-events), in pipeline order. */
  public static List<Stage> of(ChannelConfig config) {
    ChannelConfig.Topics topics = config.topics();
    return List.of(
        new Stage("parser", config.get(Setting.PARSER_GROUP_ID), topics.rawLogs()),
        new Stage("sharder", config.get(Setting.SHARDER_GROUP_ID), topics.parsedEvents()));
  }
}
