package dev.channelanalytics.calculator;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The configuration of a calculator started in a test: its own indices and state folder; reports
 * readable without a token, as on the local default ({@code ReportApiAccessITCase} tests tokens).
 */
final class CalculatorTestConfig {
  private CalculatorTestConfig() {}

  static ChannelConfig of(Path dir, URI elasticsearch, String indexPrefix, String reportIndex) {
    return ChannelConfig.load(null, dir, Map.of(), new Properties())
        .with(Setting.ELASTICSEARCH_URL, elasticsearch.toString())
        .with(Setting.STATE_DIR, dir.resolve("state").toString())
        .with(Setting.SHARDER_INDEX_PREFIX, indexPrefix)
        .with(Setting.CALCULATOR_REPORT_INDEX, reportIndex)
        .with(Setting.API_ANONYMOUS_ROLE, "viewer");
  }
}
