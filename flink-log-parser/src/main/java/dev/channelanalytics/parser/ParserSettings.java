package dev.channelanalytics.parser;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;

/**
 * Everything the log parser job needs from the configuration, read and checked once.
 *
 * @param bootstrapServers the Kafka brokers
 * @param topics the four topic names
 * @param groupId the consumer group of {@code raw-logs} (offsets committed on checkpoints, for lag)
 * @param transactionalIdPrefix the prefix of the sinks' transactional ids; unique per job
 * @param transactionTimeout the Kafka transaction timeout, within the broker's maximum
 * @param hold how long an unmapped batch waits for its mapping
 * @param parallelism the job's parallelism
 * @param checkpointInterval how often state is checkpointed and output committed
 * @param checkpointDir where checkpoints go (a URI Flink's file systems understand)
 * @param restartAttempts restarts from the latest checkpoint before the job fails
 * @param restartDelay pause before each restart
 * @param keyring the AES keys (never printed)
 */
public record ParserSettings(
    String bootstrapServers,
    ChannelConfig.Topics topics,
    String groupId,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    Duration hold,
    int parallelism,
    Duration checkpointInterval,
    URI checkpointDir,
    int restartAttempts,
    Duration restartDelay,
    Keyring keyring)
    implements Serializable {

  /** Kafka brokers refuse transactions longer than this unless configured otherwise. */
  public static final Duration BROKER_DEFAULT_MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

  public ParserSettings {
    if (transactionTimeout.compareTo(BROKER_DEFAULT_MAX_TRANSACTION_TIMEOUT) > 0) {
      throw new ConfigException(
          Setting.PARSER_TRANSACTION_TIMEOUT.key()
              + " must be at most the broker's transaction.max.timeout.ms (15 minutes by default)");
    }
    if (checkpointInterval.compareTo(transactionTimeout) >= 0) {
      throw new ConfigException(
          Setting.PARSER_CHECKPOINT_INTERVAL.key()
              + " must be shorter than "
              + Setting.PARSER_TRANSACTION_TIMEOUT.key()
              + ": output is committed once per checkpoint");
    }
    if (parallelism < 1) {
      throw new ConfigException(Setting.PARSER_PARALLELISM.key() + " must be at least 1");
    }
  }

  /** Reads the settings; fails with a {@link ConfigException} naming the bad key. */
  public static ParserSettings from(ChannelConfig config) {
    URI checkpoints = config.stateLocation(Setting.PARSER_CHECKPOINT_DIR, "parser/checkpoints");
    return new ParserSettings(
        config.kafkaBootstrapServers(),
        config.topics(),
        config.get(Setting.PARSER_GROUP_ID),
        config.get(Setting.PARSER_TRANSACTIONAL_ID_PREFIX),
        config.duration(Setting.PARSER_TRANSACTION_TIMEOUT),
        config.unknownAppKeyHold(),
        config.intValue(Setting.PARSER_PARALLELISM),
        config.duration(Setting.PARSER_CHECKPOINT_INTERVAL),
        checkpoints,
        config.intValue(Setting.PARSER_RESTART_ATTEMPTS),
        config.duration(Setting.PARSER_RESTART_DELAY),
        config.keyring());
  }
}
