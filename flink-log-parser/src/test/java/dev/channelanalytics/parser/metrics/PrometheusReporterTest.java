package dev.channelanalytics.parser.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flink's metrics as Prometheus sees them through the reporter, on a real port: names from the
 * logical scope as Flink's own reporter makes them, scope variables as labels, counters with {@code
 * _total}, histograms as quantiles and a count, text gauges left out, removed metrics gone.
 */
class PrometheusReporterTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private PrometheusReporter reporter;

  @BeforeEach
  void open() {
    reporter = new PrometheusReporter();
    MetricConfig config = new MetricConfig();
    config.setProperty("host", "127.0.0.1");
    config.setProperty("port", "0");
    reporter.open(config);
  }

  @AfterEach
  void close() {
    reporter.close();
  }

  @Test
  void flinksMetricsAreNamedByScopeAndLabelledByItsVariables() throws Exception {
    MetricGroup operator =
        new Scoped(
            "taskmanager.job.task.operator.reason",
            Map.of("<job_name>", "channel parser", "<reason>", "unknown_key"));
    SimpleCounter rejects = new SimpleCounter();
    rejects.inc(7);
    reporter.notifyOfAddedMetric(rejects, "rejects", operator);
    MetricGroup job = new Scoped("jobmanager.job", Map.of("<job_name>", "channel parser"));
    reporter.notifyOfAddedMetric((Gauge<Long>) () -> 1234L, "lastCheckpointDuration", job);
    reporter.notifyOfAddedMetric((Gauge<String>) () -> "RUNNING", "jobStatus", job);
    DescriptiveStatisticsHistogram sizes = new DescriptiveStatisticsHistogram(10);
    for (int i = 1; i <= 10; i++) {
      sizes.update(i * 100);
    }
    reporter.notifyOfAddedMetric(sizes, "envelope.bytes", operator);

    String scrape = scrape();
    assertThat(scrape)
        .contains(
            "flink_taskmanager_job_task_operator_reason_rejects_total{job_name=\"channel parser\","
                + "reason=\"unknown_key\",service=\"parser\"} 7.0")
        .contains(
            "flink_jobmanager_job_lastCheckpointDuration{job_name=\"channel parser\","
                + "service=\"parser\"} 1234.0")
        .contains("flink_taskmanager_job_task_operator_reason_envelope_bytes{")
        .contains("quantile=\"0.5\"")
        .contains("flink_taskmanager_job_task_operator_reason_envelope_bytes_count{")
        .doesNotContain("jobStatus");

    rejects.inc();
    assertThat(scrape()).contains("reason=\"unknown_key\",service=\"parser\"} 8.0");
    reporter.notifyOfRemovedMetric(rejects, "rejects", operator);
    assertThat(scrape()).doesNotContain("rejects_total");
  }

  private String scrape() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + reporter.port() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** A metric group with a logical scope and variables, as Flink's task and job groups have. */
  private static final class Scoped extends UnregisteredMetricsGroup
      implements LogicalScopeProvider {
    private final String scope;
    private final Map<String, String> variables;

    Scoped(String scope, Map<String, String> variables) {
      this.scope = scope;
      this.variables = variables;
    }

    @Override
    public Map<String, String> getAllVariables() {
      return variables;
    }

    @Override
    public String getLogicalScope(CharacterFilter filter) {
      return getLogicalScope(filter, '.');
    }

    @Override
    public String getLogicalScope(CharacterFilter filter, char delimiter) {
      StringBuilder b = new StringBuilder();
      for (String part : scope.split("\\.")) {
        if (b.length() > 0) {
          b.append(delimiter);
        }
        b.append(filter.filterCharacters(part));
      }
      return b.toString();
    }

    @Override
    public MetricGroup getWrappedMetricGroup() {
      return this;
    }
  }
}
