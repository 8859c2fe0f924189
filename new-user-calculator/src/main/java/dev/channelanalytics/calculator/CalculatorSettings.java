package dev.channelanalytics.calculator;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.http.HttpService;
import dev.channelanalytics.store.ElasticsearchEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;

/**
 * Everything the reporting service needs from the configuration, read and checked once, like the
 * parser's and the sharder's settings.
 *
 * @param elasticsearch the Elasticsearch endpoint of the first-seen indices and the reports
 * @param indexPrefix prefix of the sharder's per-product first-seen indices
 * @param indexShards primary shards of a first-seen index the calculator creates
 * @param indexReplicas replicas of a first-seen index the calculator creates
 * @param reportIndex the index the reports are kept in
 * @param zone the time zone of hour and day buckets
 * @param changesInterval how often changed buckets are recomputed
 * @param trailingWindow how far back the every-minute recomputation reaches
 * @param healthGrace how long past its interval a job may go without a success before {@code
 *     /health} fails
 * @param limits what one API client may cost: rows per answer, live dashboards, request threads
 * @param stateDir Quartz's H2 job store: {@code calculator.state-dir}, else {@code
 *     <state.dir>/calculator}
 * @param port the report API and the dashboard (0: any free port)
 * @param host the address the API listens on ({@code api.host}: loopback unless told otherwise)
 * @param access who may read the reports ({@code api.tokens-file}, {@code api.anonymous-role})
 * @param tls the API's certificate ({@code api.tls-keystore}), or null for plain HTTP
 * @param alerts the channel anomaly alerts ({@code calculator.alert-*})
 */
public record CalculatorSettings(
    ElasticsearchEndpoint elasticsearch,
    String indexPrefix,
    int indexShards,
    int indexReplicas,
    String reportIndex,
    ZoneId zone,
    Duration changesInterval,
    Duration trailingWindow,
    Duration healthGrace,
    ReportApi.Limits limits,
    Path stateDir,
    int port,
    String host,
    ApiAccess access,
    HttpService.Tls tls,
    ChannelAlerts.Settings alerts) {

  public CalculatorSettings {
    if (reportIndex.isBlank()) {
      throw new ConfigException(Setting.CALCULATOR_REPORT_INDEX.key() + " must not be empty");
    }
  }

  private static int positive(ChannelConfig config, Setting setting) {
    int value = config.intValue(setting);
    if (value < 1) {
      throw new ConfigException(setting.key() + " must be at least 1");
    }
    return value;
  }

  /** Reads the settings; fails with a {@link ConfigException} naming the bad key. */
  public static CalculatorSettings from(ChannelConfig config) {
    return new CalculatorSettings(
        ElasticsearchEndpoint.of(config),
        config.get(Setting.SHARDER_INDEX_PREFIX),
        Math.max(1, config.intValue(Setting.SHARDER_INDEX_SHARDS)),
        config.intValue(Setting.SHARDER_INDEX_REPLICAS),
        config.get(Setting.CALCULATOR_REPORT_INDEX),
        config.reportTimeZone(),
        config.duration(Setting.CALCULATOR_CHANGES_INTERVAL),
        config.duration(Setting.CALCULATOR_TRAILING_WINDOW),
        config.duration(Setting.CALCULATOR_HEALTH_GRACE),
        new ReportApi.Limits(
            positive(config, Setting.CALCULATOR_MAX_ROWS),
            positive(config, Setting.CALCULATOR_MAX_EVENT_STREAMS),
            positive(config, Setting.CALCULATOR_REQUEST_THREADS)),
        config.localStateDir(Setting.CALCULATOR_STATE_DIR, "calculator"),
        config.intValue(Setting.CALCULATOR_PORT),
        config.get(Setting.API_HOST),
        ApiAccess.from(config),
        HttpService.Tls.of(config),
        ChannelAlerts.Settings.from(config));
  }
}
