package dev.channelanalytics.calculator;

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
import java.util.Properties;
import org.quartz.CronTrigger;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.impl.StdSchedulerFactory;

/**
 * A Quartz scheduler on a persistent JDBC job store (an H2 file in a state folder; any JDBC
 * database in production), so a restart loses no schedule and no job data. The calculator and the
 * calibration service each have one.
 */
public final class QuartzJobStore {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(QuartzJobStore.class);

  private QuartzJobStore() {}

  /**
   * A scheduler named {@code name} with {@code threads} worker threads whose store is {@code
   * stateDir/quartz}; its tables are created from Quartz's own script the first time.
   */
  public static Scheduler scheduler(String name, Path stateDir, int threads) throws Exception {
    Files.createDirectories(stateDir);
    String url =
        "jdbc:h2:file:" + stateDir.resolve("quartz").toAbsolutePath() + ";AUTO_SERVER=FALSE";
    createTables(url);
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", name);
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
    p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    p.setProperty(
        "org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
    p.setProperty("org.quartz.jobStore.useProperties", "true");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "5000");
    p.setProperty("org.quartz.jobStore.dataSource", "store");
    p.setProperty("org.quartz.dataSource.store.driver", "org.h2.Driver");
    p.setProperty("org.quartz.dataSource.store.URL", url);
    p.setProperty("org.quartz.dataSource.store.maxConnections", Integer.toString(threads + 2));
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    return new StdSchedulerFactory(p).getScheduler();
  }

  /**
   * Adds a job and its trigger unless the persistent store already has the job; a trigger whose
   * cron expression or time zone changed in configuration replaces the stored one.
   */
  public static void schedule(Scheduler scheduler, JobDetail job, Trigger trigger)
      throws SchedulerException {
    if (!scheduler.checkExists(new JobKey(job.getKey().getName()))) {
      scheduler.scheduleJob(job, trigger);
    } else if (trigger instanceof CronTrigger cron
        && scheduler.getTrigger(trigger.getKey()) instanceof CronTrigger stored
        && !(cron.getCronExpression().equals(stored.getCronExpression())
            && cron.getTimeZone().equals(stored.getTimeZone()))) {
      scheduler.rescheduleJob(trigger.getKey(), trigger);
    }
  }

  /**
   * Deletes the job {@code name} and its triggers from the persistent store, if a version that ran
   * it as a Quartz job left it there: a stored trigger of a job class that no longer exists would
   * fail every time it fired.
   */
  public static void retire(Scheduler scheduler, String name) throws SchedulerException {
    if (scheduler.deleteJob(new JobKey(name))) {
      LOG.info("Deleted the stored Quartz job {}: it no longer runs on Quartz", name);
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
}
