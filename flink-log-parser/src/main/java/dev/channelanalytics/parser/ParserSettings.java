package dev.channelanalytics.parser;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.KeyringSource;
import dev.channelanalytics.common.kafka.KafkaConnection;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;

/**
 * Everything the log parser job needs from the configuration, read and checked once.
 *
 * @param kafka the Kafka brokers and how to reach them
 * @param topics the four topic names
 * @param groupId the consumer group of {@code raw-logs} (offsets committed on checkpoints, for lag)
 * @param transactionalIdPrefix the prefix of the sinks' transactional ids; unique per job
 * @param transactionTimeout the Kafka transaction timeout, within the broker's maximum and longer
 *     than any transaction can stay open ({@link #longestTransaction})
 * @param maxTransactionTimeout the brokers' {@code transaction.max.timeout.ms}
 * @param hold how long an unmapped batch waits for its mapping
 * @param holdMaxBytes the most envelope bytes one subtask holds for their mappings
 * @param parallelism the job's parallelism
 * @param checkpointInterval how often state is checkpointed and output committed
 * @param checkpointDir where checkpoints go (a URI Flink's file systems understand)
 * @param checkpointTimeout how long a checkpoint may take before it counts as failed
 * @param tolerableFailedCheckpoints checkpoints that may fail in a row without a restart
 * @param restartFailures failures within {@code restartFailureInterval} after which the job fails
 *     for good; fewer, however many over the job's life, are each a restart
 * @param restartFailureInterval the window {@code restartFailures} counts in
 * @param restartDelay pause before each restart
 * @param sinkLinger how long the sinks' producers wait to fill a batch ({@code linger.ms})
 * @param keyring where the workers read the AES keys (never printed; a file keeps them out of the
 *     job graph)
 */
public record ParserSettings(
    KafkaConnection kafka,
    ChannelConfig.Topics topics,
    String groupId,
    String transactionalIdPrefix,
    Duration transactionTimeout,
    Duration maxTransactionTimeout,
    Duration hold,
    long holdMaxBytes,
    int parallelism,
    Duration checkpointInterval,
    URI checkpointDir,
    Duration checkpointTimeout,
    int tolerableFailedCheckpoints,
    int restartFailures,
    Duration restartFailureInterval,
    Duration restartDelay,
    Duration sinkLinger,
    KeyringSource keyring)
    implements Serializable {

  /**
   * What a transaction's life allows for the process itself to be started again after it died: the
   * local supervisor waits at most a minute, and a JVM with a MiniCluster starts in well under one;
   * a cluster's job manager restarts a job within its restart delay.
   */
  public static final Duration PROCESS_RESTART_ALLOWANCE = Duration.ofMinutes(5);

  public ParserSettings {
    if (transactionTimeout.compareTo(maxTransactionTimeout) > 0) {
      throw new ConfigException(
          Setting.PARSER_TRANSACTION_TIMEOUT.key()
              + " must be at most "
              + Setting.KAFKA_MAX_TRANSACTION_TIMEOUT.key()
              + " (the brokers' transaction.max.timeout.ms, 15 minutes by default)");
    }
    if (sinkLinger.isNegative() || sinkLinger.toMillis() > 1_000) {
      throw new ConfigException(Setting.PARSER_SINK_LINGER.key() + " must be 0 to 1 s");
    }
    if (parallelism < 1) {
      throw new ConfigException(Setting.PARSER_PARALLELISM.key() + " must be at least 1");
    }
    if (tolerableFailedCheckpoints < 0 || restartFailures < 1) {
      throw new ConfigException(
          Setting.PARSER_TOLERABLE_FAILED_CHECKPOINTS.key()
              + " must be at least 0 and "
              + Setting.PARSER_RESTART_FAILURES.key()
              + " at least 1");
    }
    Duration longest =
        longestTransaction(
            checkpointInterval, checkpointTimeout, tolerableFailedCheckpoints, restartDelay);
    if (longest.compareTo(transactionTimeout) >= 0) {
      throw new ConfigException(
          Setting.PARSER_TRANSACTION_TIMEOUT.key()
              + " ("
              + transactionTimeout
              + ") must be longer than a transaction can stay open, "
              + longest
              + ": ("
              + Setting.PARSER_TOLERABLE_FAILED_CHECKPOINTS.key()
              + " + 1) x ("
              + Setting.PARSER_CHECKPOINT_INTERVAL.key()
              + " + "
              + Setting.PARSER_CHECKPOINT_TIMEOUT.key()
              + ") + "
              + Setting.PARSER_RESTART_DELAY.key()
              + " + "
              + PROCESS_RESTART_ALLOWANCE.toMinutes()
              + " min for a process restart; else the broker may abort output a checkpoint"
              + " already counts as written");
    }
  }

  /**
   * The longest a sink transaction can stay open before it is committed: it is committed when a
   * checkpoint after it completes, and up to {@code tolerable} checkpoints in a row may fail (each
   * after at most the checkpoint timeout) before the job restarts and commits it from the last good
   * checkpoint, after the restart delay and perhaps a restart of the process. Past the transaction
   * timeout the broker aborts it, and that output would be lost without an error.
   */
  public static Duration longestTransaction(
      Duration checkpointInterval,
      Duration checkpointTimeout,
      int tolerableFailedCheckpoints,
      Duration restartDelay) {
    return checkpointInterval
        .plus(checkpointTimeout)
        .multipliedBy(tolerableFailedCheckpoints + 1L)
        .plus(restartDelay)
        .plus(PROCESS_RESTART_ALLOWANCE);
  }

  /** Reads the settings; fails with a {@link ConfigException} naming the bad key. */
  public static ParserSettings from(ChannelConfig config) {
    URI checkpoints = config.stateLocation(Setting.PARSER_CHECKPOINT_DIR, "parser/checkpoints");
    return new ParserSettings(
        KafkaConnection.of(config),
        config.topics(),
        config.get(Setting.PARSER_GROUP_ID),
        config.get(Setting.PARSER_TRANSACTIONAL_ID_PREFIX),
        config.duration(Setting.PARSER_TRANSACTION_TIMEOUT),
        config.duration(Setting.KAFKA_MAX_TRANSACTION_TIMEOUT),
        config.unknownAppKeyHold(),
        (long) config.intValue(Setting.PARSER_HOLD_MAX_BYTES),
        config.intValue(Setting.PARSER_PARALLELISM),
        config.duration(Setting.PARSER_CHECKPOINT_INTERVAL),
        checkpoints,
        config.duration(Setting.PARSER_CHECKPOINT_TIMEOUT),
        config.intValue(Setting.PARSER_TOLERABLE_FAILED_CHECKPOINTS),
        config.intValue(Setting.PARSER_RESTART_FAILURES),
        config.duration(Setting.PARSER_RESTART_FAILURE_INTERVAL),
        config.duration(Setting.PARSER_RESTART_DELAY),
        config.duration(Setting.PARSER_SINK_LINGER),
        KeyringSource.of(config));
  }
}
