package dev.channelanalytics.parser.metrics;

import dev.channelanalytics.metrics.MetricsEndpoint;
import dev.channelanalytics.metrics.ServiceMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.LogicalScopeProvider;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flink's metrics in Prometheus' format, through the project's one metrics library: every counter,
 * numeric gauge, meter and histogram Flink registers becomes a Micrometer meter of a {@link
 * ServiceMetrics} ({@code service="parser"}, with the JVM's meters), served by a {@link
 * MetricsEndpoint}. Names and labels follow Flink's own Prometheus reporter ({@code flink_<logical
 * scope>_<name>}, a label per scope variable), so Flink's dashboards and alerts apply; that
 * reporter ({@code flink-metrics-prometheus}) is not in the registry this project builds from.
 *
 * <p>Configured like any reporter: {@code metrics.reporter.prometheus.factory.class} names {@link
 * PrometheusReporterFactory}, {@code .host} and {@code .port} say where to listen. One reporter
 * serves one JVM: a MiniCluster's job and task managers together, or one process of a cluster.
 */
public final class PrometheusReporter implements MetricReporter {
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusReporter.class);
  private static final Pattern UNALLOWED = Pattern.compile("[^a-zA-Z0-9_]");
  private static final CharacterFilter NAME_FILTER = s -> UNALLOWED.matcher(s).replaceAll("_");
  private static final double[] QUANTILES = {0.5, 0.95, 0.99};

  private final Map<Metric, List<Meter>> meters = new ConcurrentHashMap<>();
  private ServiceMetrics metrics;
  private MetricsEndpoint endpoint;

  @Override
  public void open(MetricConfig config) {
    metrics = new ServiceMetrics(config.getString("service", "parser"));
    endpoint =
        MetricsEndpoint.start(
            metrics, config.getString("host", "127.0.0.1"), config.getInteger("port", 9249));
  }

  @Override
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
  }

  /** The port the metrics are served on (for tests that ask for any free one). */
  public int port() {
    return endpoint.port();
  }

  @Override
  public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
    String name = "flink_" + logicalScope(group) + "_" + NAME_FILTER.filterCharacters(metricName);
    List<Tag> tags = new ArrayList<>();
    group
        .getAllVariables()
        .forEach(
            (key, value) ->
                tags.add(
                    Tag.of(
                        NAME_FILTER.filterCharacters(key.replaceAll("[<>]", "")),
                        value == null ? "" : value)));
    List<Meter> added = new ArrayList<>();
    MeterRegistry registry = metrics.registry();
    try {
      if (metric instanceof Counter counter) {
        added.add(
            FunctionCounter.builder(name, counter, Counter::getCount)
                .tags(tags)
                .register(registry));
      } else if (metric instanceof Gauge<?> gauge) {
        if (!(gauge.getValue() instanceof String)) {
          added.add(gauge(registry, name, tags, gauge, PrometheusReporter::numeric));
        }
      } else if (metric instanceof org.apache.flink.metrics.Meter meter) {
        added.add(gauge(registry, name, tags, meter, org.apache.flink.metrics.Meter::getRate));
      } else if (metric instanceof Histogram histogram) {
        for (double q : QUANTILES) {
          List<Tag> withQuantile = new ArrayList<>(tags);
          withQuantile.add(Tag.of("quantile", Double.toString(q)));
          added.add(
              gauge(
                  registry, name, withQuantile, histogram, h -> h.getStatistics().getQuantile(q)));
        }
        added.add(gauge(registry, name + "_count", tags, histogram, Histogram::getCount));
      }
    } catch (RuntimeException e) {
      // A name Prometheus cannot take with these labels: that one metric is left out, never the
      // job.
      LOG.debug("metric {} not exported: {}", name, e.toString());
    }
    if (!added.isEmpty()) {
      meters.put(metric, added);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
    List<Meter> gone = meters.remove(metric);
    if (gone != null) {
      gone.forEach(metrics.registry()::remove);
    }
  }

  private static <T> Meter gauge(
      MeterRegistry registry, String name, List<Tag> tags, T source, ToDoubleFunction<T> value) {
    return io.micrometer.core.instrument.Gauge.builder(name, source, value)
        .tags(tags)
        .strongReference(true)
        .register(registry);
  }

  private static double numeric(Gauge<?> gauge) {
    Object value = gauge.getValue();
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof Boolean b) {
      return b ? 1 : 0;
    }
    return Double.NaN;
  }

  private static String logicalScope(MetricGroup group) {
    return LogicalScopeProvider.castFrom(group).getLogicalScope(NAME_FILTER, '_');
  }
}
