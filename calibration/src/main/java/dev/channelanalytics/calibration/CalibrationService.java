package dev.channelanalytics.calibration;

import dev.channelanalytics.calculator.CalculatorSettings;
import dev.channelanalytics.calculator.QuartzJobStore;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.http.HttpService;
import dev.channelanalytics.http.HttpService.Access;
import dev.channelanalytics.metrics.ServiceMetrics;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.RetryPolicy;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.quartz.CronScheduleBuilder;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.PersistJobDataAfterExecution;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.spi.JobFactory;
import org.quartz.spi.TriggerFiredBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calibration service: Quartz (on a persistent job store) calibrates after every offline run
 * the first-seen hours that run may have changed, and every night the trailing {@code
 * calibration.days} in full; {@code POST /runs} runs a calibration on request ({@code channel
 * calibrate}) and streams its progress; {@code GET /health} says it is up and what the last run
 * did. Runs never overlap: the scheduler has one thread and every run holds one lock.
 *
 * <p>{@code main} with {@code calibrate FROM TO [PRODUCT] [--dry-run]} after {@code --config FILE}
 * runs one calibration in this JVM and exits 0 when every hour ended equal (and final), 4 when a
 * difference remains, 1 when the run could not be done: the command's path when no service runs.
 */
public final class CalibrationService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CalibrationService.class);

  /** Exit code of a run after which a difference remains. */
  public static final int DIFFERENCES = 4;

  static final String WATERMARK = "computedSince";

  private final CalibrationSettings settings;
  private final ElasticsearchConnection es;
  private final ReentrantLock runs = new ReentrantLock();
  private HttpService http;
  private CalibrationMetrics metrics;
  private Scheduler scheduler;
  private volatile String lastRun = "none yet";

  private CalibrationService(CalibrationSettings settings, ElasticsearchConnection es) {
    this.settings = settings;
    this.es = es;
  }

  /** Requests answered at once; a run holds its request's thread while it lasts. */
  static final int HTTP_THREADS = 8;

  /** Starts the endpoint and the schedule. */
  public static CalibrationService start(CalibrationSettings settings) throws Exception {
    ElasticsearchConnection es =
        ElasticsearchConnection.open(
            settings.reports().elasticsearch(), RetryPolicy.upTo(Duration.ofMinutes(2)));
    CalibrationService service = new CalibrationService(settings, es);
    CalculatorSettings reports = settings.reports();
    ServiceMetrics serviceMetrics = new ServiceMetrics("calibration");
    RetryPolicy.bindTo(serviceMetrics.registry());
    service.metrics = new CalibrationMetrics(serviceMetrics.registry(), settings.alertErrorRate());
    service.http =
        HttpService.start(
            new HttpService.Options(
                "calibration",
                settings.reports().host(),
                settings.port(),
                HTTP_THREADS,
                100,
                // A run's progress lines may be minutes apart (it waits for due offline hours).
                Duration.ofHours(6),
                reports.tls()),
            reports.access(),
            serviceMetrics,
            routes -> {
              routes.get("/health", service::health, Access.ANYONE);
              routes.post("/runs", service::runRequest, Access.ADMIN);
            });
    service.scheduler = service.scheduler();
    service.scheduler.start();
    LOG.info(
        "calibration service on http://localhost:{}/ (nightly {} in {}, offline runs checked every"
            + " {})",
        service.port(),
        settings.nightlyCron(),
        settings.zone(),
        settings.checkInterval());
    return service;
  }

  public int port() {
    return http.port();
  }

  /**
   * Runs one calibration (waiting first for the offline and real-time paths, {@link
   * CalibrationGate}), holding the run lock; progress lines go to {@code progress}.
   */
  CalibrationRun.Summary calibrate(CalibrationRun.Request request, Consumer<String> progress)
      throws Exception {
    runs.lockInterruptibly();
    try {
      return calibrate(settings, es, metrics, request, progress);
    } finally {
      runs.unlock();
    }
  }

  private static CalibrationRun.Summary calibrate(
      CalibrationSettings settings,
      ElasticsearchConnection es,
      CalibrationMetrics metrics,
      CalibrationRun.Request request,
      Consumer<String> progress)
      throws Exception {
    progress.accept(
        "calibrating "
            + Instant.ofEpochMilli(request.from())
            + " to "
            + Instant.ofEpochMilli(request.to())
            + (request.product() == null ? "" : " of " + request.product())
            + (request.dryRun() ? " (dry run: nothing is written)" : ""));
    try (OfflineFirstSeen offline =
        OfflineFirstSeen.connect(settings.jdbcUrl(), settings.login())) {
      new CalibrationGate(settings).await(offline, request.from(), request.to(), progress);
      return new CalibrationRun(settings, es).reportingTo(metrics).run(request, offline, progress);
    }
  }

  private void health(Context ctx) throws IOException {
    HttpService.json(
        ctx,
        200,
        ElasticsearchConnection.JSON.writeValueAsString(
            ElasticsearchConnection.JSON
                .createObjectNode()
                .put("status", "up")
                .put("running", runs.isLocked())
                .put("lastRun", lastRun)));
  }

  /**
   * {@code POST /runs?from=F&to=T[&product=P][&dryRun=true]}: progress lines as they come, the last
   * one {@code done: equal}, {@code done: differences} or {@code failed: <reason>}.
   */
  private void runRequest(Context ctx) throws IOException {
    CalibrationRun.Request request;
    try {
      request = request(query(ctx.queryString()), "command");
    } catch (IllegalArgumentException e) {
      ctx.status(400).contentType("text/plain; charset=utf-8").result(e.getMessage() + "\n");
      return;
    }
    ctx.res().setStatus(200);
    ctx.res().setContentType("text/plain; charset=utf-8");
    try (PrintStream out =
        new PrintStream(ctx.res().getOutputStream(), true, StandardCharsets.UTF_8)) {
      if (runs.isLocked()) {
        out.println("waiting: another calibration is running");
      }
      out.println(run(request, out::println));
    }
  }

  /** Runs a request from the endpoint or the schedule; the last line of its progress. */
  private String run(CalibrationRun.Request request, Consumer<String> progress) {
    try {
      CalibrationRun.Summary summary =
          calibrate(
              request,
              line -> {
                LOG.info("{}", line);
                progress.accept(line);
              });
      lastRun =
          request.origin()
              + " at "
              + Instant.now()
              + ": "
              + (summary.equal() ? "equal" : summary.remaining().size() + " hour(s) differ");
      return summary.equal() ? "done: equal" : "done: differences";
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.error("calibration {} failed", request, e);
      lastRun = request.origin() + " at " + Instant.now() + " failed: " + e.getMessage();
      return "failed: " + e.getMessage();
    }
  }

  /**
   * Runs a request of the schedule (its progress goes to the log); true when every hour ended
   * equal. A run that could not be done fails the job, so Quartz logs it and the next one tries.
   */
  private boolean scheduled(CalibrationRun.Request request) throws JobExecutionException {
    String last = run(request, line -> {});
    if (last.startsWith("failed")) {
      throw new JobExecutionException(last, false);
    }
    return last.equals("done: equal");
  }

  /** The request a query (or the command's arguments) names. */
  static CalibrationRun.Request request(Map<String, String> q, String origin) {
    Instant from = instant(q, "from");
    Instant to = instant(q, "to");
    if (!to.isAfter(from)) {
      throw new IllegalArgumentException("to must be after from");
    }
    String product = q.get("product");
    return new CalibrationRun.Request(
        from.toEpochMilli(),
        to.toEpochMilli(),
        product == null || product.isBlank() ? null : product,
        Boolean.parseBoolean(q.getOrDefault("dryRun", "false")),
        origin);
  }

  private static Instant instant(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null) {
      throw new IllegalArgumentException(name + " is required");
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          name + " must be an ISO instant such as 2026-11-23T10:00:00Z, not " + v);
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(
              pair.substring(0, eq),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private Scheduler scheduler() throws Exception {
    Scheduler s = QuartzJobStore.scheduler("channel-calibration", settings.stateDir(), 1);
    s.setJobFactory(new Factory(this));
    QuartzJobStore.schedule(
        s,
        JobBuilder.newJob(AfterOfflineRuns.class)
            .withIdentity("after-offline-runs")
            .usingJobData(WATERMARK, Long.toString(System.currentTimeMillis()))
            .storeDurably()
            .build(),
        TriggerBuilder.newTrigger()
            .withIdentity("after-offline-runs")
            .withSchedule(
                SimpleScheduleBuilder.simpleSchedule()
                    .withIntervalInMilliseconds(
                        Math.max(1_000, settings.checkInterval().toMillis()))
                    .repeatForever()
                    .withMisfireHandlingInstructionNextWithRemainingCount())
            .build());
    QuartzJobStore.schedule(
        s,
        JobBuilder.newJob(Nightly.class).withIdentity("nightly").storeDurably().build(),
        TriggerBuilder.newTrigger()
            .withIdentity("nightly")
            .withSchedule(
                CronScheduleBuilder.cronSchedule(settings.nightlyCron())
                    .inTimeZone(TimeZone.getTimeZone(settings.zone()))
                    .withMisfireHandlingInstructionFireAndProceed())
            .build());
    return s;
  }

  /**
   * After each offline run: the first-seen hours of the first sightings found in the archive hours
   * computed since the watermark (kept in the job store, advanced only after a run that ended).
   */
  @DisallowConcurrentExecution
  @PersistJobDataAfterExecution
  static final class AfterOfflineRuns implements Job {
    private final CalibrationService service;

    AfterOfflineRuns(CalibrationService service) {
      this.service = service;
    }

    @Override
    public void execute(JobExecutionContext context) throws JobExecutionException {
      JobDataMap data = context.getJobDetail().getJobDataMap();
      long since = Long.parseLong(data.getString(WATERMARK));
      TreeMap<Long, Long> computed;
      TreeSet<Long> hours = new TreeSet<>();
      try (OfflineFirstSeen offline =
          OfflineFirstSeen.connect(service.settings.jdbcUrl(), service.settings.login())) {
        computed = offline.computedSince(since);
        for (long archiveHour : computed.keySet()) {
          hours.addAll(offline.firstSeenHoursOf(archiveHour));
        }
      } catch (Exception e) {
        throw new JobExecutionException("reading the offline runs failed", e, false);
      }
      if (computed.isEmpty()) {
        return;
      }
      // One run per stretch of consecutive hours: a far-off client clock adds its hour, not every
      // hour in between.
      List<long[]> stretches = new ArrayList<>();
      for (long h : hours) {
        if (!stretches.isEmpty() && stretches.get(stretches.size() - 1)[1] == h) {
          stretches.get(stretches.size() - 1)[1] = h + 3_600_000L;
        } else {
          stretches.add(new long[] {h, h + 3_600_000L});
        }
      }
      int differing = 0;
      for (long[] stretch : stretches) {
        boolean equal =
            service.scheduled(
                new CalibrationRun.Request(
                    stretch[0], stretch[1], null, false, "after-offline-run"));
        differing += equal ? 0 : 1;
      }
      if (stretches.size() > 1) {
        service.lastRun =
            "after-offline-run at "
                + Instant.now()
                + ": "
                + (differing == 0
                    ? "equal"
                    : "differences in " + differing + " of " + stretches.size() + " stretches");
      }
      data.put(
          WATERMARK,
          Long.toString(computed.values().stream().mapToLong(v -> v).max().orElse(since)));
    }
  }

  /** Every night, the trailing {@code calibration.days} whole days before today. */
  @DisallowConcurrentExecution
  static final class Nightly implements Job {
    private final CalibrationService service;

    Nightly(CalibrationService service) {
      this.service = service;
    }

    @Override
    public void execute(JobExecutionContext context) throws JobExecutionException {
      ZonedDateTime today = ZonedDateTime.now(service.settings.zone()).truncatedTo(ChronoUnit.DAYS);
      service.scheduled(
          new CalibrationRun.Request(
              today.minusDays(service.settings.days()).toInstant().toEpochMilli(),
              today.toInstant().toEpochMilli(),
              null,
              false,
              "nightly"));
    }
  }

  /** Builds the jobs with the service instead of Quartz's no-argument constructors. */
  private record Factory(CalibrationService service) implements JobFactory {
    @Override
    public Job newJob(TriggerFiredBundle bundle, Scheduler scheduler) {
      Class<? extends Job> type = bundle.getJobDetail().getJobClass();
      if (type == AfterOfflineRuns.class) {
        return new AfterOfflineRuns(service);
      }
      if (type == Nightly.class) {
        return new Nightly(service);
      }
      throw new IllegalArgumentException("unknown job " + type);
    }
  }

  /** Stops the schedule (waiting for a run in progress), the endpoint and the connection. */
  @Override
  public void close() {
    if (scheduler != null) {
      try {
        scheduler.shutdown(true);
      } catch (org.quartz.SchedulerException e) {
        LOG.warn("stopping the schedule: {}", e.toString());
      }
    }
    if (http != null) {
      http.close();
    }
    es.close();
  }

  /**
   * {@code --config FILE}: the service; {@code --config FILE calibrate FROM TO [PRODUCT]
   * [--dry-run]}: one calibration, with its exit code.
   */
  public static void main(String[] args) throws Exception {
    Path home = Path.of(System.getProperty("channel.home", "."));
    ChannelConfig config = ChannelConfig.load(ChannelConfig.configFileOf(args), home);
    CalibrationSettings settings = CalibrationSettings.from(config);
    int at = java.util.Arrays.asList(args).indexOf("calibrate");
    if (at >= 0) {
      System.exit(once(settings, java.util.Arrays.copyOfRange(args, at + 1, args.length)));
    }
    CalibrationService service = start(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(service::close, "calibration-shutdown"));
  }

  private static int once(CalibrationSettings settings, String[] args) {
    Map<String, String> q = new HashMap<>();
    int positional = 0;
    for (String a : args) {
      if (a.equals("--dry-run")) {
        q.put("dryRun", "true");
      } else {
        q.put(
            switch (positional++) {
              case 0 -> "from";
              case 1 -> "to";
              default -> "product";
            },
            a);
      }
    }
    try (ElasticsearchConnection es =
        ElasticsearchConnection.open(
            settings.reports().elasticsearch(), RetryPolicy.upTo(Duration.ofMinutes(2)))) {
      CalibrationRun.Summary s =
          calibrate(settings, es, null, request(q, "command"), System.out::println);
      System.out.println(s.equal() ? "done: equal" : "done: differences");
      return s.equal() ? 0 : DIFFERENCES;
    } catch (Exception e) {
      System.out.println("failed: " + e.getMessage());
      LOG.error("calibration failed", e);
      return 1;
    }
  }
}
