package dev.channelanalytics.parser.functions;

import dev.channelanalytics.common.contract.RejectReason;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * One counter per reject reason, {@code rejects} under the group {@code reason=<code>}: in
 * Prometheus one series per reason of {@code flink_taskmanager_job_task_operator_reason_rejects}.
 */
final class RejectCounters {
  private final Map<RejectReason, Counter> counters = new EnumMap<>(RejectReason.class);

  RejectCounters(MetricGroup group) {
    for (RejectReason reason : RejectReason.values()) {
      counters.put(reason, group.addGroup("reason", reason.code()).counter("rejects"));
    }
  }

  /** Counts {@code n} rejects: one envelope, or each rejected event of a batch. */
  void inc(RejectReason reason, long n) {
    counters.get(reason).inc(n);
  }
}
