package dev.channelanalytics.offline;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.http.HttpService;
import dev.channelanalytics.http.HttpService.Access;
import dev.channelanalytics.metrics.ServiceMetrics;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local warehouse as a service: the Hive warehouse with its HiveServer2 endpoint, the hourly
 * schedule of the offline ETL ({@code offline.schedule}), and a small status endpoint ({@code
 * /health}, open to anyone) that says whether it is up and what the last scheduled run did; a run
 * ({@code POST /runs}) needs an admin token, the list of due hours ({@code GET /due}) a viewer's.
 *
 * <p>The schedule looks for due hours every {@code offline.check-interval} and runs them through
 * the warehouse's own JDBC endpoint, exactly as {@code channel offline run} does from outside.
 */
public final class OfflineWarehouseService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfflineWarehouseService.class);

  private final HiveWarehouse warehouse;
  private final ScheduledExecutorService schedule;
  private HttpService status;
  private volatile String lastRun = "none yet";

  /**
   * The schedule's view of the offline path, for Prometheus: hours due at its last check and the
   * age of the oldest (NaN until the first check, or with the schedule off), scheduled runs by
   * outcome.
   */
  private final ServiceMetrics metrics = new ServiceMetrics("warehouse");

  private final AtomicLong hoursDue = new AtomicLong(-1);
  private final AtomicLong oldestDueSeconds = new AtomicLong(-1);
  private final Counter runs =
      Counter.builder("channel.offline.runs")
          .tag("outcome", "success")
          .register(metrics.registry());
  private final Counter failedRuns =
      Counter.builder("channel.offline.runs")
          .tag("outcome", "failure")
          .register(metrics.registry());

  {
    Gauge.builder("channel.offline.hours.due", hoursDue, n -> n.get() < 0 ? Double.NaN : n.get())
        .description("complete hours not computed yet, at the schedule's last check")
        .register(metrics.registry());
    Gauge.builder(
            "channel.offline.oldest.due.age.seconds",
            oldestDueSeconds,
            n -> n.get() < 0 ? Double.NaN : n.get())
        .description("since the start of the oldest due hour (0: none due)")
        .register(metrics.registry());
  }

  private OfflineWarehouseService(HiveWarehouse warehouse, ScheduledExecutorService schedule) {
    this.warehouse = warehouse;
    this.schedule = schedule;
  }

  /** Requests answered at once; runs wait for the schedule's thread and hold theirs meanwhile. */
  static final int STATUS_THREADS = 8;

  /** Starts the warehouse, the status endpoint and, when configured, the hourly schedule. */
  public static OfflineWarehouseService start(ChannelConfig config, Path stateDir)
      throws IOException {
    String configured = config.get(Setting.OFFLINE_WAREHOUSE_DIR);
    Path dir =
        configured.isBlank()
            ? stateDir.resolve("warehouse")
            : config.path(Setting.OFFLINE_WAREHOUSE_DIR);
    java.nio.file.Files.createDirectories(dir);
    ApiAccess access = ApiAccess.from(config); // a bad tokens file stops the start at once
    kafkaLogin(KafkaConnection.of(config), stateDir);
    HiveWarehouse warehouse =
        HiveWarehouse.start(
            dir,
            config.intValue(Setting.LOCAL_OFFLINE_PORT),
            config.intValue(Setting.LOCAL_OFFLINE_METASTORE_PORT),
            config.get(Setting.OFFLINE_SPARK_MASTER),
            dev.channelanalytics.common.security.WarehouseLogin.of(config));
    ScheduledExecutorService schedule =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "offline-schedule");
              t.setDaemon(true);
              return t;
            });
    OfflineWarehouseService service = new OfflineWarehouseService(warehouse, schedule);
    // Without usable offline settings (say, an inline keyring) the warehouse still serves SQL;
    // every run then answers why it cannot run.
    OfflineSettings settings = service.usableSettings(config);
    service.status =
        HttpService.start(
            new HttpService.Options(
                "warehouse",
                "localhost",
                config.intValue(Setting.LOCAL_OFFLINE_STATUS_PORT),
                STATUS_THREADS,
                100,
                // A run's progress lines may be minutes apart.
                Duration.ofHours(6),
                HttpService.Tls.of(config)),
            access,
            service.metrics,
            routes -> {
              routes.get("/health", service::health, Access.ANYONE);
              routes.post("/runs", ctx -> service.streamed(ctx, settings, "run"), Access.ADMIN);
              routes.get("/due", ctx -> service.streamed(ctx, settings, "due"), Access.VIEWER);
            });
    if (settings != null && Boolean.parseBoolean(config.get(Setting.OFFLINE_SCHEDULE))) {
      Duration every = config.duration(Setting.OFFLINE_CHECK_INTERVAL);
      schedule.scheduleWithFixedDelay(
          () -> service.runDue(settings), 0, Math.max(1, every.toSeconds()), TimeUnit.SECONDS);
      LOG.info("offline schedule: due hours checked every {}", every);
    }
    int metastorePort = config.intValue(Setting.LOCAL_OFFLINE_METASTORE_PORT);
    LOG.info(
        "warehouse up: {}; metastore {}",
        warehouse.jdbcUrl(),
        metastorePort > 0
            ? "shared at " + HiveWarehouse.metastoreUrl(metastorePort, dir)
            : "not shared (" + Setting.LOCAL_OFFLINE_METASTORE_PORT.key() + "=0)");
    return service;
  }

  /**
   * With SASL, writes the JAAS file the archive's Kafka reads log in with (owner-only, in the state
   * folder) and points this JVM at it: the HiveQL carries no password ({@link
   * OfflineEtl#kafkaOptions}), and a system property set here is in no command line.
   */
  static void kafkaLogin(KafkaConnection kafka, Path stateDir) {
    String jaas = kafka.securityProperties().get("sasl.jaas.config");
    if (jaas == null) {
      return;
    }
    Path file = stateDir.resolve("kafka-client.jaas");
    dev.channelanalytics.common.security.SecretFiles.write(
        file, ("KafkaClient {\n  " + jaas + "\n};\n").getBytes(StandardCharsets.UTF_8));
    System.setProperty("java.security.auth.login.config", file.toString());
  }

  private void health(Context ctx) {
    HttpService.json(
        ctx,
        200,
        "{\"status\":\"up\",\"jdbc\":\""
            + warehouse.jdbcUrl()
            + "\",\"lastRun\":\""
            + lastRun.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\"}");
  }

  private OfflineSettings usableSettings(ChannelConfig config) {
    try {
      return OfflineSettings.from(config).withJdbcUrl(warehouse.jdbcUrl());
    } catch (dev.channelanalytics.common.config.ConfigException e) {
      LOG.error("offline runs are off: {}", e.getMessage());
      lastRun = "offline runs are off: " + e.getMessage();
      return null;
    }
  }

  /**
   * {@code POST /runs?from=F&to=T} computes the hours of [F, T); {@code GET /due} lists the due
   * hours. The work runs on the schedule's single thread, so runs never overlap; progress lines are
   * streamed as they come, and the last line is {@code done} or {@code failed: <reason>}.
   */
  private void streamed(Context ctx, OfflineSettings settings, String what) throws IOException {
    java.util.Map<String, String> query = new java.util.HashMap<>();
    String raw = ctx.queryString();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          query.put(
              pair.substring(0, eq),
              java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    String refusal = refusal(ctx.method().name(), what, query);
    if (refusal != null) {
      ctx.status(refusal.startsWith("method") ? 405 : 400)
          .contentType("text/plain; charset=utf-8")
          .result(refusal + "\n");
      return;
    }
    ctx.res().setStatus(200);
    ctx.res().setContentType("text/plain; charset=utf-8");
    try (java.io.PrintStream out =
        new java.io.PrintStream(ctx.res().getOutputStream(), true, StandardCharsets.UTF_8)) {
      java.util.concurrent.Future<?> work =
          schedule.submit(
              () -> {
                if (settings == null) {
                  out.println("failed: " + lastRun);
                  return;
                }
                try (OfflineEtl etl = OfflineEtl.connect(settings)) {
                  if (what.equals("due")) {
                    List<Instant> due = etl.dueHours(Instant.now());
                    due.forEach(out::println);
                    out.printf("%d hours due%n", due.size());
                  } else {
                    List<Instant> hours =
                        OfflineMain.hoursOf(
                            Instant.parse(query.get("from")), Instant.parse(query.get("to")));
                    out.printf("computing %d hours from %s%n", hours.size(), hours.get(0));
                    etl.run(hours, OfflineProgress.printing(out));
                    recordRun("asked for " + hours.size() + " hours from " + hours.get(0));
                  }
                  out.println("done");
                } catch (Exception e) {
                  LOG.error("offline {} failed", what, e);
                  recordRun("asked " + what + " failed: " + OfflineProgress.firstLine(e));
                  out.println("failed: " + e.getMessage());
                }
              });
      out.println("queued behind any run in progress");
      work.get();
    } catch (Exception e) {
      LOG.warn("offline {} request ended: {}", what, e.toString());
    }
  }

  /** Most hours one request may ask for: a year. */
  static final long MAX_HOURS_PER_REQUEST = 24L * 366;

  /** Why a request is refused, or null: runs are POSTed with a sane range. */
  static String refusal(String method, String what, java.util.Map<String, String> query) {
    if (what.equals("due")) {
      return null;
    }
    if (!method.equals("POST")) {
      return "method " + method + " not allowed: POST /runs?from=F&to=T";
    }
    try {
      Instant from = Instant.parse(String.valueOf(query.get("from")));
      Instant to = Instant.parse(String.valueOf(query.get("to")));
      long hours = java.time.Duration.between(from, to).toHours();
      if (!to.isAfter(from) || hours > MAX_HOURS_PER_REQUEST) {
        return "to must be after from, and at most " + MAX_HOURS_PER_REQUEST + " hours later";
      }
      return null;
    } catch (java.time.format.DateTimeParseException e) {
      return "from and to must be ISO instants such as 2026-11-23T10:00:00Z";
    }
  }

  /** One scheduled check: computes every due hour; a failure is logged and retried next time. */
  private void runDue(OfflineSettings settings) {
    try (OfflineEtl etl = OfflineEtl.connect(settings)) {
      Instant now = Instant.now();
      List<Instant> due = etl.dueHours(now);
      hoursDue.set(due.size());
      oldestDueSeconds.set(due.isEmpty() ? 0 : Duration.between(due.get(0), now).toSeconds());
      if (due.isEmpty()) {
        if (etl.publishIfStale()) {
          recordRun("rebuilt DWS and ADS after an earlier failure");
        }
        return;
      }
      LOG.info("offline schedule: {} due hours from {}", due.size(), due.get(0));
      long started = System.nanoTime();
      etl.run(due, OfflineProgress.logging(LOG));
      runs.increment();
      recordRun(
          due.size()
              + " hours from "
              + due.get(0)
              + " in "
              + Duration.ofNanos(System.nanoTime() - started).toSeconds()
              + " s");
    } catch (Throwable e) { // an escaping error would cancel every later scheduled check
      failedRuns.increment();
      recordRun("failed: " + OfflineProgress.firstLine(e));
      LOG.error("offline schedule run failed; the hours stay due", e);
    }
  }

  /** Keeps what the last run came to, stamped with now, for the status endpoint. */
  private void recordRun(String outcome) {
    lastRun = Instant.now() + ": " + outcome;
  }

  @Override
  public void close() {
    schedule.shutdownNow();
    if (status != null) {
      status.close();
    }
    warehouse.close();
  }

  public static void main(String[] args) throws Exception {
    ChannelConfig config = OfflineMain.loadConfig(args);
    Path stateDir = config.stateDir("offline");
    OfflineWarehouseService service = start(config, stateDir);
    Runtime.getRuntime().addShutdownHook(new Thread(service::close, "offline-shutdown"));
  }
}
