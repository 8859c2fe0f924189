package dev.channelanalytics.parser.functions;

import dev.channelanalytics.common.contract.RejectReason;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** One counter per reject reason, under {@code rejects.<reason code>}. */
final class RejectCounters {
  private final Map<RejectReason, Counter> counters = new EnumMap<>(RejectReason.class);

  RejectCounters(MetricGroup group) {
    MetricGroup rejects = group.addGroup("rejects");
    for (RejectReason reason : RejectReason.values()) {
      counters.put(reason, rejects.counter(reason.code()));
    }
  }

  /** Counts {@code n} rejects: one envelope, or each rejected event of a batch. */
  void inc(RejectReason reason, long n) {
    counters.get(reason).inc(n);
  }
}
