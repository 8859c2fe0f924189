package dev.channelanalytics.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The metrics of one service, in the one metrics library of the project (Micrometer with its
 * Prometheus registry): the JVM's (memory, GC, threads, CPU, uptime), every HTTP route's latency
 * ({@code http_server_requests_seconds}, by route, method and status, recorded by {@link
 * HttpService}) and whatever the service adds to {@link #registry()}; served by {@link HttpService}
 * at {@code GET /metrics} in Prometheus' text format. Every meter carries the tag {@code service}.
 */
public final class ServiceMetrics {
  private final PrometheusMeterRegistry registry;

  /** A registry for the service {@code service} with the JVM's meters bound. */
  public ServiceMetrics(String service) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags(Tags.of("service", service));
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** Where the service registers its own meters. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter in Prometheus' text exposition format. */
  public String scrape() {
    return registry.scrape();
  }
}
