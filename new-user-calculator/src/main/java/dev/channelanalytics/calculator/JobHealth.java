package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.store.ElasticsearchConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.Trigger;
import org.quartz.TriggerListener;
import org.quartz.listeners.JobListenerSupport;
import org.quartz.listeners.TriggerListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the report jobs keep the reports fresh, for {@code /health}: a job that has not succeeded
 * for its interval plus a grace (failing every run, or stuck retrying an unreachable Elasticsearch)
 * makes the service unhealthy, with the job, its last success and its last error, where before the
 * API answered "up" while every report froze. Failures are logged at ERROR when a streak starts and
 * once a minute while it lasts; the recovery at INFO.
 */
final class JobHealth extends JobListenerSupport {
  private static final Logger LOG = LoggerFactory.getLogger(JobHealth.class);
  private static final Duration REPEAT_LOG = Duration.ofMinutes(1);

  /** What is known of one job. */
  private static final class State {
    final Duration allowed;
    Instant lastSuccess;
    Instant lastFailure;
    Instant lastLogged;
    String lastError;
    int consecutiveFailures;

    State(Duration allowed, Instant since) {
      this.allowed = allowed;
      this.lastSuccess = since;
    }
  }

  private final Clock clock;
  private final Map<String, State> jobs = new TreeMap<>();

  /**
   * @param intervals each job's name and how often it runs
   * @param grace how long past its interval a job may go without success
   */
  JobHealth(Map<String, Duration> intervals, Duration grace, Clock clock) {
    this.clock = clock;
    Instant now = clock.instant();
    // Until its first success a job is measured from the service's start.
    intervals.forEach((job, every) -> jobs.put(job, new State(every.plus(grace), now)));
  }

  @Override
  public String getName() {
    return "report job health";
  }

  private io.micrometer.core.instrument.MeterRegistry registry;

  /**
   * Also counts every run in {@code registry} ({@code calculator_job_runs_seconds} by job and
   * outcome) and keeps each job's seconds since its last success ({@code
   * calculator_job_last_success_age_seconds}), the figure {@code /health} judges by.
   */
  synchronized JobHealth bindTo(io.micrometer.core.instrument.MeterRegistry registry) {
    this.registry = registry;
    jobs.forEach(
        (job, s) ->
            io.micrometer.core.instrument.Gauge.builder(
                    "calculator.job.last.success.age", this, h -> h.secondsSinceSuccess(job))
                .description("seconds since the report job last succeeded")
                .baseUnit("seconds")
                .tag("job", job)
                .register(registry));
    return this;
  }

  /**
   * Counts the runs Quartz missed ({@code calculator_job_misfires_total} by job): a scheduler that
   * had no free thread, or a service that was down, when a trigger was due. Each job's count starts
   * at zero, so a rate over it exists before the first misfire.
   */
  TriggerListener misfires(io.micrometer.core.instrument.MeterRegistry registry) {
    // Registering again returns the registered counter: the registry is the only map needed.
    for (String job : jobs.keySet()) {
      misfireCounter(registry, job);
    }
    return new TriggerListenerSupport() {
      @Override
      public String getName() {
        return "report job misfires";
      }

      @Override
      public void triggerMisfired(Trigger trigger) {
        String job = trigger.getJobKey().getName();
        misfireCounter(registry, job).increment();
        LOG.warn("Report job {} missed a run due at {}", job, trigger.getNextFireTime());
      }
    };
  }

  private static io.micrometer.core.instrument.Counter misfireCounter(
      io.micrometer.core.instrument.MeterRegistry registry, String job) {
    return io.micrometer.core.instrument.Counter.builder("calculator.job.misfires")
        .description("runs of a report job Quartz missed")
        .tag("job", job)
        .register(registry);
  }

  private synchronized double secondsSinceSuccess(String job) {
    return Duration.between(jobs.get(job).lastSuccess, clock.instant()).toMillis() / 1000.0;
  }

  @Override
  public void jobWasExecuted(JobExecutionContext context, JobExecutionException failure) {
    ran(context.getJobDetail().getKey().getName(), context.getJobRunTime(), failure);
  }

  /**
   * Records a run of {@code job} that took {@code runMillis} and ended with {@code failure} (null
   * on success): what Quartz reports of its jobs, and what a job on a thread of its own reports.
   */
  synchronized void ran(String job, long runMillis, Exception failure) {
    State s = jobs.get(job);
    if (s == null) {
      return;
    }
    Instant now = clock.instant();
    if (registry != null) {
      io.micrometer.core.instrument.Timer.builder("calculator.job.runs")
          .description("report job runs, by job and outcome")
          .tag("job", job)
          .tag("outcome", failure == null ? "success" : "failure")
          .register(registry)
          .record(Math.max(0, runMillis), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    if (failure == null) {
      if (s.consecutiveFailures > 0) {
        LOG.info("Report job {} succeeded again after {} failed runs", job, s.consecutiveFailures);
      }
      s.lastSuccess = now;
      s.consecutiveFailures = 0;
      return;
    }
    s.consecutiveFailures++;
    s.lastFailure = now;
    Throwable cause = failure.getCause() == null ? failure : failure.getCause();
    s.lastError = failure.getMessage() + ": " + cause;
    if (s.consecutiveFailures == 1 || s.lastLogged.plus(REPEAT_LOG).isBefore(now)) {
      LOG.error(
          "Report job {} failed ({} in a row; last success {}): {}",
          job,
          s.consecutiveFailures,
          s.lastSuccess,
          s.lastError);
      s.lastLogged = now;
    }
  }

  /** True when every job has succeeded within its interval plus the grace. */
  synchronized boolean healthy() {
    Instant now = clock.instant();
    return jobs.values().stream().allMatch(s -> !stale(s, now));
  }

  private static boolean stale(State s, Instant now) {
    return Duration.between(s.lastSuccess, now).compareTo(s.allowed) > 0;
  }

  /** {@code /health}'s body: the status and, per job, what it last did. */
  synchronized ObjectNode report() {
    Instant now = clock.instant();
    boolean healthy = true;
    ObjectNode out = ElasticsearchConnection.JSON.createObjectNode();
    ObjectNode list = ElasticsearchConnection.JSON.createObjectNode();
    for (Map.Entry<String, State> e : jobs.entrySet()) {
      State s = e.getValue();
      boolean stale = stale(s, now);
      healthy &= !stale;
      ObjectNode job =
          list.putObject(e.getKey())
              .put("status", stale ? "failing" : "up")
              .put("last_success", s.lastSuccess.toString())
              .put("consecutive_failures", s.consecutiveFailures);
      if (s.lastError != null) {
        job.put("last_failure", s.lastFailure.toString()).put("last_error", s.lastError);
      }
    }
    out.put("status", healthy ? "up" : "failing");
    out.set("jobs", list);
    return out;
  }
}
