package dev.channelanalytics.offline;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.security.WarehouseLogin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * What the offline ETL needs from the configuration, checked once at start.
 *
 * @param jdbcUrl the HiveServer2 endpoint the HiveQL runs through
 * @param login how the HiveQL logs in to it
 * @param kafka the Kafka brokers holding the input topics, and how to reach them
 * @param rawTopic the envelopes' topic
 * @param configTopic the product mappings' topic
 * @param keyringFile the keyring, read by the decoder on the warehouse host
 * @param hold how long an upload waits for its app key's mapping (as in the parser)
 * @param zone the report time zone of the hourly buckets
 * @param settle how long after its end an hour is first computed
 * @param firstHour the first hour the schedule computes, when configured
 */
public record OfflineSettings(
    String jdbcUrl,
    WarehouseLogin login,
    KafkaConnection kafka,
    String rawTopic,
    String configTopic,
    Path keyringFile,
    Duration hold,
    ZoneId zone,
    Duration settle,
    Optional<Instant> firstHour) {

  public static OfflineSettings from(ChannelConfig config) {
    if (config.get(Setting.KEYRING_FILE).isEmpty()) {
      throw new ConfigException(
          "the offline path decodes on the warehouse host and reads the keyring from a file: set "
              + Setting.KEYRING_FILE.key()
              + " (an inline keyring cannot be handed to Hive without writing it out)");
    }
    Path keyring = config.path(Setting.KEYRING_FILE).toAbsolutePath();
    if (!Files.isReadable(keyring)) {
      throw new ConfigException(
          Setting.KEYRING_FILE.key() + ": keyring file not readable: " + keyring);
    }
    Optional<Instant> first = Optional.empty();
    String firstText = config.get(Setting.OFFLINE_FIRST_HOUR);
    if (!firstText.isBlank()) {
      try {
        first = Optional.of(Instant.parse(firstText.strip()).truncatedTo(ChronoUnit.HOURS));
      } catch (DateTimeParseException e) {
        throw new ConfigException(
            Setting.OFFLINE_FIRST_HOUR.key()
                + " must be an ISO instant such as 2026-11-23T00:00:00Z, not "
                + firstText);
      }
    }
    return new OfflineSettings(
        config.get(Setting.OFFLINE_JDBC_URL),
        WarehouseLogin.of(config),
        KafkaConnection.of(config),
        config.get(Setting.TOPIC_RAW_LOGS),
        config.get(Setting.TOPIC_PRODUCT_CONFIG),
        keyring,
        config.unknownAppKeyHold(),
        config.reportTimeZone(),
        config.duration(Setting.OFFLINE_SETTLE),
        first);
  }

  /** A copy that reaches the warehouse at another endpoint. */
  public OfflineSettings withJdbcUrl(String url) {
    return new OfflineSettings(
        url, login, kafka, rawTopic, configTopic, keyringFile, hold, zone, settle, firstHour);
  }
}
