package dev.channelanalytics.calculator;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.kafka.PipelineStages;
import dev.channelanalytics.common.kafka.TopicOffsets;
import dev.channelanalytics.metrics.ServiceMetrics;
import dev.channelanalytics.store.CalibrationRecords;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reporting service: the Quartz scheduler that keeps the reports up to date and the report API,
 * in one process.
 *
 * <p>Changed buckets are recomputed by a loop on a thread of its own ({@link ChangedBucketsLoop});
 * the marks it reads, in Elasticsearch, are its queue. Quartz keeps the minute jobs (trailing
 * window, channel alerts) in a JDBC job store (an H2 file under the calculator's state folder; any
 * JDBC database in production), so a restart loses no schedule; the trailing-window job fires once
 * on recovery from a misfire and then keeps its schedule.
 */
public final class NewUserCalculatorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NewUserCalculatorService.class);

  private static final String TRAILING_WINDOW = "trailing-window";
  private static final String CHANNEL_ALERTS = "channel-alerts";

  private final Scheduler scheduler;
  private final ChangedBucketsLoop changes;
  private final ReportApi api;
  private ServiceMetrics metrics;
  private StageLag stageLag;
  private final ChannelAlerts alerts;

  private NewUserCalculatorService(
      Scheduler scheduler, ChangedBucketsLoop changes, ReportApi api, ChannelAlerts alerts) {
    this.scheduler = scheduler;
    this.changes = changes;
    this.api = api;
    this.alerts = alerts;
  }

  /** Starts the scheduler and the API on {@code port} (0: any free port). */
  public static NewUserCalculatorService start(ChannelConfig config, int port) throws Exception {
    return start(
        CalculatorSettings.from(config.with(Setting.CALCULATOR_PORT, Integer.toString(port))));
  }

  /** Starts the scheduler and the API on the settings' port. */
  public static NewUserCalculatorService start(CalculatorSettings settings) throws Exception {
    return start(settings, Clock.systemUTC());
  }

  /**
   * Starts the service with the channel alerts' windows judged by {@code alertClock} (the last
   * complete hour and ten minutes at its time).
   */
  static NewUserCalculatorService start(CalculatorSettings settings, Clock alertClock)
      throws Exception {
    // A report run gives up after two minutes without Elasticsearch; the next run catches up.
    ElasticsearchConnection es =
        ElasticsearchConnection.open(
            settings.elasticsearch(), RetryPolicy.upTo(Duration.ofMinutes(2)));
    String prefix = settings.indexPrefix();
    ReportStore reports = new ReportStore(es, settings.reportIndex(), settings.zone());
    reports.ensureIndex();
    FinalBuckets finals = new FinalBuckets(es, settings.reportIndex());
    finals.ensureIndices();
    ReportCalculator calculator =
        new ReportCalculator(
            new FirstSeenStore(es, prefix, settings.indexShards(), settings.indexReplicas()),
            new NewUserAggregations(es, prefix),
            reports,
            finals,
            settings.zone());
    calculator.rebuildIfOfOtherZones();
    ChannelAlerts alerts =
        ChannelAlerts.start(es, settings.reportIndex(), calculator, settings.alerts(), alertClock);
    Scheduler scheduler =
        scheduler(
            settings.stateDir(),
            calculator,
            settings.trailingWindow(),
            alerts,
            settings.alerts().interval());
    JobHealth health =
        new JobHealth(
            Map.of(
                ChangedBucketsLoop.NAME,
                settings.changesInterval(),
                TRAILING_WINDOW,
                Duration.ofMinutes(1),
                CHANNEL_ALERTS,
                settings.alerts().interval()),
            settings.healthGrace(),
            Clock.systemUTC());
    ServiceMetrics metrics = new ServiceMetrics("calculator");
    RetryPolicy.bindTo(metrics.registry());
    health.bindTo(metrics.registry());
    scheduler.getListenerManager().addJobListener(health);
    scheduler.getListenerManager().addTriggerListener(health.misfires(metrics.registry()));
    ReportApi api =
        new ReportApi(
            calculator,
            new CalibrationRecords(es, settings.reportIndex()),
            alerts.store(),
            health,
            settings.limits());
    calculator.onChange(api::broadcast);
    api.start(settings.host(), settings.port(), settings.access(), settings.tls(), metrics);
    scheduler.start();
    ChangedBucketsLoop changes =
        new ChangedBucketsLoop(calculator, settings.changesInterval(), health).start();
    LOG.info(
        "Dashboard on {}://localhost:{}/, report API under /api/v1",
        settings.tls() == null ? "http" : "https",
        api.port());
    NewUserCalculatorService service =
        new NewUserCalculatorService(scheduler, changes, api, alerts);
    service.metrics = metrics;
    return service;
  }

  public int port() {
    return api.port();
  }

  private static Scheduler scheduler(
      Path stateDir,
      ReportCalculator calculator,
      Duration trailing,
      ChannelAlerts alerts,
      Duration alertsEvery)
      throws Exception {
    // A thread per job: judging alerts never holds back a report job.
    Scheduler scheduler = QuartzJobStore.scheduler("channel-calculator", stateDir, 3);
    scheduler.setJobFactory(new CalculatorJobs.Factory(calculator, trailing.toMillis(), alerts));
    // Changed buckets run on a loop of their own now (ChangedBucketsLoop).
    QuartzJobStore.retire(scheduler, ChangedBucketsLoop.NAME);
    QuartzJobStore.schedule(
        scheduler,
        JobBuilder.newJob(CalculatorJobs.TrailingWindow.class)
            .withIdentity(TRAILING_WINDOW)
            .storeDurably()
            .build(),
        TriggerBuilder.newTrigger()
            .withIdentity("trailing-window")
            .withSchedule(
                CronScheduleBuilder.cronSchedule("0 * * * * ?")
                    .withMisfireHandlingInstructionFireAndProceed())
            .build());
    // Missed runs are skipped: a run judges the windows complete at its own time.
    QuartzJobStore.schedule(
        scheduler,
        JobBuilder.newJob(CalculatorJobs.ChannelAnomalies.class)
            .withIdentity(CHANNEL_ALERTS)
            .storeDurably()
            .build(),
        TriggerBuilder.newTrigger()
            .withIdentity(CHANNEL_ALERTS)
            .withSchedule(
                SimpleScheduleBuilder.simpleSchedule()
                    .withIntervalInMilliseconds(Math.max(100, alertsEvery.toMillis()))
                    .repeatForever()
                    .withMisfireHandlingInstructionNextWithRemainingCount())
            .build());
    return scheduler;
  }

  /**
   * Also measures how far each stage of the real-time path is behind ({@link StageLag}), in this
   * service's metrics.
   */
  public void watchStages(ChannelConfig config) {
    stageLag =
        new StageLag(
                PipelineStages.of(config),
                new TopicOffsets(KafkaConnection.of(config), StageLag.EVERY),
                Clock.systemUTC())
            .start(metrics.registry());
  }

  @Override
  public void close() throws Exception {
    if (stageLag != null) {
      stageLag.close();
    }
    changes.close();
    scheduler.shutdown(true);
    alerts.close();
    api.close();
  }

  /** Runs the service: {@code --config FILE}; the API on {@code calculator.port}. */
  public static void main(String[] args) throws Exception {
    Path home = Path.of(System.getProperty("channel.home", "."));
    Path file = ChannelConfig.configFileOf(args);
    ChannelConfig config = ChannelConfig.load(file, home);
    NewUserCalculatorService service = start(CalculatorSettings.from(config));
    service.watchStages(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    service.close();
                  } catch (Exception e) {
                    LOG.warn("shutdown: {}", e.toString());
                  }
                },
                "calculator-shutdown"));
  }
}
