package dev.channelanalytics.calibration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What calibration found, for Prometheus: per product, the error rate of the hour it last compared
 * ({@code channel_calibration_error_rate{product}}: users that differed between the paths over the
 * users of the hour), the threshold an hour alerts above, and the hours compared, by outcome. The
 * alert rule compares the first two, so the threshold lives in one setting.
 */
final class CalibrationMetrics {
  private final MeterRegistry registry;
  private final Map<String, AtomicLong> errorRates = new ConcurrentHashMap<>();

  CalibrationMetrics(MeterRegistry registry, double threshold) {
    this.registry = registry;
    Gauge.builder("channel.calibration.error.rate.threshold", () -> threshold)
        .description("calibration.alert-error-rate: an hour alerts above it")
        .register(registry);
  }

  /** One product-hour compared: its error rate before repair and whether it ended final. */
  void hour(String product, double errorRate, boolean equal) {
    errorRates
        .computeIfAbsent(
            product,
            p -> {
              AtomicLong bits = new AtomicLong(Double.doubleToLongBits(0));
              Gauge.builder(
                      "channel.calibration.error.rate", bits, b -> Double.longBitsToDouble(b.get()))
                  .description("error rate of the last hour calibration compared")
                  .tag("product", p)
                  .register(registry);
              return bits;
            })
        .set(Double.doubleToLongBits(errorRate));
    Counter.builder("channel.calibration.hours")
        .description("product-hours compared, by whether they ended equal")
        .tag("outcome", equal ? "equal" : "differs")
        .register(registry)
        .increment();
  }
}
