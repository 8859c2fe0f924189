package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * When the report jobs make the service unhealthy: a job without success past its interval plus the
 * grace, measured from the service's start until its first success. (Successes and failures
 * reported by Quartz are the ITCase's: NewUserReportsITCase.)
 */
class JobHealthTest {
  private static final Instant START = Instant.parse("2026-12-03T10:00:00Z");

  @Test
  void aJobPastItsIntervalPlusTheGraceFailsHealthNamingIt() {
    MovableClock clock = new MovableClock(START);
    JobHealth health =
        new JobHealth(
            Map.of(
                "changed-buckets", Duration.ofSeconds(1), "trailing-window", Duration.ofMinutes(1)),
            Duration.ofSeconds(30),
            clock);
    clock.now = START.plusSeconds(31);
    assertThat(health.healthy()).isTrue();
    clock.now = START.plusSeconds(32);
    assertThat(health.healthy()).isFalse();
    var report = health.report();
    assertThat(report.path("status").asText()).isEqualTo("failing");
    assertThat(report.path("jobs").path("changed-buckets").path("status").asText())
        .isEqualTo("failing");
    assertThat(report.path("jobs").path("trailing-window").path("status").asText()).isEqualTo("up");
  }

  /**
   * A run Quartz missed is counted for its job: a trigger due 10 s before the scheduler starts is
   * past the misfire threshold when a real (in-memory) Quartz scheduler first looks at it.
   */
  @Test
  void aMissedRunIsCountedForItsJob() throws Exception {
    JobHealth health =
        new JobHealth(
            Map.of(
                "changed-buckets", Duration.ofSeconds(1), "trailing-window", Duration.ofMinutes(1)),
            Duration.ofSeconds(30),
            Clock.systemUTC());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "misfire-test-" + System.nanoTime());
    p.setProperty("org.quartz.threadPool.threadCount", "1");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "1000");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    try {
      scheduler.getListenerManager().addTriggerListener(health.misfires(registry));
      assertThat(misfires(registry, "trailing-window")).isZero();
      CountDownLatch ran = new CountDownLatch(1);
      RAN.put("trailing-window", ran);
      scheduler.scheduleJob(
          JobBuilder.newJob(CountDown.class).withIdentity("trailing-window").build(),
          TriggerBuilder.newTrigger()
              .startAt(java.util.Date.from(Instant.now().minusSeconds(10)))
              .build());
      scheduler.start();
      assertThat(ran.await(30, TimeUnit.SECONDS)).as("the missed run fires on recovery").isTrue();
      assertThat(misfires(registry, "trailing-window")).isEqualTo(1.0);
      assertThat(misfires(registry, "changed-buckets")).isZero();
    } finally {
      scheduler.shutdown(true);
    }
  }

  private static double misfires(SimpleMeterRegistry registry, String job) {
    return registry.get("calculator.job.misfires").tag("job", job).counter().count();
  }

  private static final Map<String, CountDownLatch> RAN = new ConcurrentHashMap<>();

  /** A job that says it ran. */
  public static final class CountDown implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      RAN.get(context.getJobDetail().getKey().getName()).countDown();
    }
  }

  /** A clock a test moves. */
  private static final class MovableClock extends Clock {
    Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
