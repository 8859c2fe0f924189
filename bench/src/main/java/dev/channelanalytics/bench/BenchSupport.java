package dev.channelanalytics.bench;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.testing.FreePorts;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.TestKeyring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** What every harness shares: {@code name=value} arguments and writing its report. */
final class BenchSupport {
  private BenchSupport() {}

  static Map<String, String> parseArgs(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("arguments are name=value, got: " + arg);
      }
      options.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return options;
  }

  static void write(Path out, List<String> lines) {
    try {
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.write(out, lines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The configuration of a whole local stack in {@code dir} for a benchmark: every port free (the
   * warehouse, calibration and Prometheus too, so a stack already running here is no obstacle),
   * state under {@code dir/state}, the test keyring, local API access (reports without a token).
   */
  static ChannelConfig localStackConfig(Path dir, TestKeyring keys) {
    int kafkaPort = FreePorts.next();
    int esPort = FreePorts.next();
    int hivePort = FreePorts.next();
    ChannelConfig config =
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.KAFKA_BOOTSTRAP_SERVERS, "localhost:" + kafkaPort)
            .with(Setting.LOCAL_KAFKA_PORT, Integer.toString(kafkaPort))
            .with(Setting.LOCAL_KAFKA_CONTROLLER_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_ELASTICSEARCH_PORT, Integer.toString(esPort))
            .with(Setting.LOCAL_ELASTICSEARCH_TRANSPORT_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.ELASTICSEARCH_URL, "http://localhost:" + esPort)
            .with(Setting.PARSER_REST_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.PARSER_METRICS_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.SHARDER_UI_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.SHARDER_METRICS_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_PROMETHEUS_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.CALCULATOR_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_OFFLINE_PORT, Integer.toString(hivePort))
            .with(Setting.LOCAL_OFFLINE_STATUS_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.OFFLINE_JDBC_URL, "jdbc:hive2://localhost:" + hivePort + "/default")
            .with(Setting.CALIBRATION_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.STATE_DIR, dir.resolve("state").toString())
            .with(Setting.KEYRING_FILE, keys.file().toString());
    return PipelineFixture.withLocalAccess(config, dir);
  }

  /**
   * {@code config} with every {@code set.KEY=VALUE} option applied (say {@code
   * set.sharder.trigger-interval=PT0.5S}), so a run can measure another setting without a code
   * change; the report should name them ({@link #overrides}).
   */
  static ChannelConfig withOverrides(ChannelConfig config, Map<String, String> options) {
    ChannelConfig out = config;
    for (Map.Entry<String, String> e : overrides(options).entrySet()) {
      Setting setting =
          java.util.Arrays.stream(Setting.values())
              .filter(s -> s.key().equals(e.getKey()))
              .findFirst()
              .orElseThrow(() -> new IllegalArgumentException("unknown setting: " + e.getKey()));
      out = out.with(setting, e.getValue());
    }
    return out;
  }

  /** The {@code set.KEY=VALUE} options, by key. */
  static Map<String, String> overrides(Map<String, String> options) {
    Map<String, String> out = new LinkedHashMap<>();
    options.forEach(
        (k, v) -> {
          if (k.startsWith("set.")) {
            out.put(k.substring(4), v);
          }
        });
    return out;
  }

  /** The {@code p}th percentile (nearest rank) of ascending {@code sorted}; -1 when empty. */
  static long percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return -1;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }
}
