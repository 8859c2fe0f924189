package dev.channelanalytics.parser.metrics;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** Makes the {@link PrometheusReporter}; found by Flink through {@code META-INF/services}. */
public final class PrometheusReporterFactory implements MetricReporterFactory {
  @Override
  public MetricReporter createMetricReporter(Properties properties) {
    return new PrometheusReporter();
  }
}
