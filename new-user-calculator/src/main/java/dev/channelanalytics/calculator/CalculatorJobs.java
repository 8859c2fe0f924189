package dev.channelanalytics.calculator;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.Scheduler;
import org.quartz.spi.JobFactory;
import org.quartz.spi.TriggerFiredBundle;

/** The calculator's Quartz jobs and the factory that hands them the calculator. */
final class CalculatorJobs {
  private CalculatorJobs() {}

  /** Every minute, the trailing window of every product, as a safety net. */
  @DisallowConcurrentExecution
  static final class TrailingWindow implements Job {
    private final ReportCalculator calculator;
    private final long windowMillis;

    TrailingWindow(ReportCalculator calculator, long windowMillis) {
      this.calculator = calculator;
      this.windowMillis = windowMillis;
    }

    @Override
    public void execute(JobExecutionContext context) throws JobExecutionException {
      try {
        calculator.recomputeTrailing(windowMillis);
      } catch (RuntimeException e) {
        throw new JobExecutionException("recomputing the trailing window failed", e, false);
      }
    }
  }

  /**
   * Judges the last complete windows of every channel and stores and sends the new alerts ({@link
   * ChannelAlerts#evaluate}); the webhook is called on its own thread, never by this job.
   */
  @DisallowConcurrentExecution
  static final class ChannelAnomalies implements Job {
    private final ChannelAlerts alerts;

    ChannelAnomalies(ChannelAlerts alerts) {
      this.alerts = alerts;
    }

    @Override
    public void execute(JobExecutionContext context) throws JobExecutionException {
      try {
        alerts.evaluate();
      } catch (RuntimeException e) {
        throw new JobExecutionException("judging channel anomalies failed", e, false);
      }
    }
  }

  /** Builds the jobs with their dependencies instead of Quartz's no-argument constructors. */
  record Factory(ReportCalculator calculator, long trailingMillis, ChannelAlerts alerts)
      implements JobFactory {
    @Override
    public Job newJob(TriggerFiredBundle bundle, Scheduler scheduler) {
      Class<? extends Job> type = bundle.getJobDetail().getJobClass();
      if (type == TrailingWindow.class) {
        return new TrailingWindow(calculator, trailingMillis);
      }
      if (type == ChannelAnomalies.class) {
        return new ChannelAnomalies(alerts);
      }
      throw new IllegalArgumentException("unknown job " + type);
    }
  }
}
