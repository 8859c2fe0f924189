package dev.channelanalytics.calibration;

import dev.channelanalytics.calculator.CalculatorSettings;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.security.WarehouseLogin;
import java.nio.file.Path;
import java.time.Duration;
import org.quartz.CronExpression;

/**
 * What calibration needs from the configuration, checked once at start.
 *
 * @param reports the real-time store and its reports as the calculator has them (Elasticsearch, the
 *     first-seen indices, the report index beside which final buckets and calibration records are
 *     kept, the report time zone)
 * @param jdbcUrl the offline path's HiveServer2 endpoint ({@code offline.jdbc-url})
 * @param login how calibration logs in to it
 * @param kafka Kafka, for the real-time path's consumed offsets
 * @param rawTopic the raw logs the offline path archives
 * @param parsedTopic the parser's output, which the sharder consumes
 * @param parserGroup the parser's consumer group
 * @param sharderGroup the sharder's consumer group
 * @param settle how long after its end the offline path first computes an hour
 * @param days the trailing days the nightly calibration covers
 * @param nightlyCron when the nightly calibration runs, in the report time zone
 * @param alertErrorRate the error rate above which an hour raises an alert
 * @param checkInterval how often the service looks for offline runs
 * @param recomputeTimeout how long an hour waits for the calculator's recompute
 * @param waitTimeout how long a run waits for the offline path and the real-time path
 * @param stateDir Quartz's job store
 * @param port the status and run endpoint (0: any free port)
 */
public record CalibrationSettings(
    CalculatorSettings reports,
    String jdbcUrl,
    WarehouseLogin login,
    KafkaConnection kafka,
    String rawTopic,
    String parsedTopic,
    String parserGroup,
    String sharderGroup,
    Duration settle,
    int days,
    String nightlyCron,
    double alertErrorRate,
    Duration checkInterval,
    Duration recomputeTimeout,
    Duration waitTimeout,
    Path stateDir,
    int port) {

  public CalibrationSettings {
    if (days < 1) {
      throw new ConfigException(Setting.CALIBRATION_DAYS.key() + " must be at least 1");
    }
    if (!CronExpression.isValidExpression(nightlyCron)) {
      throw new ConfigException(
          Setting.CALIBRATION_NIGHTLY_CRON.key()
              + " must be a Quartz cron expression such as 0 30 2 * * ?, not "
              + nightlyCron);
    }
    if (!(alertErrorRate >= 0 && alertErrorRate <= 1)) {
      throw new ConfigException(
          Setting.CALIBRATION_ALERT_ERROR_RATE.key() + " must be between 0 and 1");
    }
  }

  /** The report time zone, whose hours and days calibration proves. */
  public java.time.ZoneId zone() {
    return reports.zone();
  }

  /** Reads the settings; fails with a {@link ConfigException} naming the bad key. */
  public static CalibrationSettings from(ChannelConfig config) {
    double alert;
    try {
      alert = Double.parseDouble(config.get(Setting.CALIBRATION_ALERT_ERROR_RATE));
    } catch (NumberFormatException e) {
      throw new ConfigException(
          Setting.CALIBRATION_ALERT_ERROR_RATE.key() + " must be a number such as 0.005");
    }
    ChannelConfig.Topics topics = config.topics();
    return new CalibrationSettings(
        CalculatorSettings.from(config),
        config.get(Setting.OFFLINE_JDBC_URL),
        WarehouseLogin.of(config),
        KafkaConnection.of(config),
        topics.rawLogs(),
        topics.parsedEvents(),
        config.get(Setting.PARSER_GROUP_ID),
        config.get(Setting.SHARDER_GROUP_ID),
        config.duration(Setting.OFFLINE_SETTLE),
        config.intValue(Setting.CALIBRATION_DAYS),
        config.get(Setting.CALIBRATION_NIGHTLY_CRON).strip(),
        alert,
        config.duration(Setting.CALIBRATION_CHECK_INTERVAL),
        config.duration(Setting.CALIBRATION_RECOMPUTE_TIMEOUT),
        config.duration(Setting.CALIBRATION_WAIT_TIMEOUT),
        config.localStateDir(Setting.CALIBRATION_STATE_DIR, "calibration"),
        config.intValue(Setting.CALIBRATION_PORT));
  }
}
