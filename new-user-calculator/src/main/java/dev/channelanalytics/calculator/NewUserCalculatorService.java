package dev.channelanalytics.calculator;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FinalBuckets;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reporting service: the Quartz scheduler that keeps the reports up to date and the report API,
 * in one process.
 *
 * <p>Quartz keeps its jobs, triggers and the changed-buckets watermark in a JDBC job store (an H2
 * file under the calculator's state folder; any JDBC database in production), so a restart loses no
 * schedule and no pending recomputation. Misfires: the changed-buckets job (every second) skips
 * missed runs, since its watermark covers the gap; the trailing-window job (every minute) fires
 * once on recovery and then keeps its schedule.
 */
public final class NewUserCalculatorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NewUserCalculatorService.class);

  private final Scheduler scheduler;
  private final ReportApi api;

  private NewUserCalculatorService(Scheduler scheduler, ReportApi api) {
    this.scheduler = scheduler;
    this.api = api;
  }

  /** Starts the scheduler and the API on {@code port} (0: any free port). */
  public static NewUserCalculatorService start(ChannelConfig config, int port) throws Exception {
    return start(
        CalculatorSettings.from(config.with(Setting.CALCULATOR_PORT, Integer.toString(port))));
  }

  /** Starts the scheduler and the API on the settings' port. */
  public static NewUserCalculatorService start(CalculatorSettings settings) throws Exception {
    // A report run gives up after two minutes without Elasticsearch; the next run catches up.
    ElasticsearchConnection es =
        ElasticsearchConnection.open(
            settings.elasticsearch(), RetryPolicy.upTo(Duration.ofMinutes(2)));
    String prefix = settings.indexPrefix();
    ReportStore reports = new ReportStore(es, settings.reportIndex());
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
    Scheduler scheduler =
        scheduler(
            settings.stateDir(), calculator, settings.trailingWindow(), settings.changesInterval());
    ReportApi api = new ReportApi(calculator, "localhost", settings.port());
    calculator.onChange(api::broadcast);
    api.start();
    scheduler.start();
    LOG.info("Dashboard on http://localhost:{}/, report API under /api/v1", api.port());
    return new NewUserCalculatorService(scheduler, api);
  }

  public int port() {
    return api.port();
  }

  private static Scheduler scheduler(
      Path stateDir, ReportCalculator calculator, Duration trailing, Duration changesEvery)
      throws Exception {
    Files.createDirectories(stateDir);
    String url =
        "jdbc:h2:file:" + stateDir.resolve("quartz").toAbsolutePath() + ";AUTO_SERVER=FALSE";
    createTables(url);
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "channel-calculator");
    p.setProperty("org.quartz.threadPool.threadCount", "2");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    p.setProperty(
        "org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
    p.setProperty("org.quartz.jobStore.useProperties", "true");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "5000");
    p.setProperty("org.quartz.jobStore.dataSource", "reports");
    p.setProperty("org.quartz.dataSource.reports.driver", "org.h2.Driver");
    p.setProperty("org.quartz.dataSource.reports.URL", url);
    p.setProperty("org.quartz.dataSource.reports.maxConnections", "4");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    scheduler.setJobFactory(new CalculatorJobs.Factory(calculator, trailing.toMillis()));
    schedule(
        scheduler,
        JobBuilder.newJob(CalculatorJobs.ChangedBuckets.class)
            .withIdentity("changed-buckets")
            .usingJobData(CalculatorJobs.WATERMARK, "0")
            .storeDurably()
            .build(),
        TriggerBuilder.newTrigger()
            .withIdentity("changed-buckets")
            .withSchedule(
                SimpleScheduleBuilder.simpleSchedule()
                    .withIntervalInMilliseconds(Math.max(100, changesEvery.toMillis()))
                    .repeatForever()
                    .withMisfireHandlingInstructionNextWithRemainingCount())
            .build());
    schedule(
        scheduler,
        JobBuilder.newJob(CalculatorJobs.TrailingWindow.class)
            .withIdentity("trailing-window")
            .storeDurably()
            .build(),
        TriggerBuilder.newTrigger()
            .withIdentity("trailing-window")
            .withSchedule(
                CronScheduleBuilder.cronSchedule("0 * * * * ?")
                    .withMisfireHandlingInstructionFireAndProceed())
            .build());
    return scheduler;
  }

  /** Adds a job and its trigger unless the persistent store already has them. */
  private static void schedule(Scheduler scheduler, JobDetail job, Trigger trigger)
      throws SchedulerException {
    if (!scheduler.checkExists(new JobKey(job.getKey().getName()))) {
      scheduler.scheduleJob(job, trigger);
    }
  }

  /** Creates Quartz's tables from the script Quartz ships, once. */
  private static void createTables(String url) throws SQLException, IOException {
    try (Connection c = DriverManager.getConnection(url);
        ResultSet tables = c.getMetaData().getTables(null, null, "QRTZ_JOB_DETAILS", null)) {
      if (tables.next()) {
        return;
      }
      String script;
      try (InputStream in =
          Scheduler.class.getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_h2.sql")) {
        script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      try (Statement s = c.createStatement()) {
        for (String sql : script.split(";")) {
          String stripped =
              sql.lines()
                  .filter(l -> !l.trim().startsWith("--"))
                  .reduce("", (a, b) -> a + "\n" + b)
                  .trim();
          if (!stripped.isEmpty()) {
            s.execute(stripped);
          }
        }
      }
    }
  }

  @Override
  public void close() throws Exception {
    scheduler.shutdown(true);
    api.close();
  }

  /** Runs the service: {@code --config FILE}; the API on {@code calculator.port}. */
  public static void main(String[] args) throws Exception {
    Path home = Path.of(System.getProperty("channel.home", "."));
    Path file = ChannelConfig.configFileOf(args);
    ChannelConfig config = ChannelConfig.load(file, home);
    NewUserCalculatorService service = start(CalculatorSettings.from(config));
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
