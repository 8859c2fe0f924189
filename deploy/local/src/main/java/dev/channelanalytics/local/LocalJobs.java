package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.ServiceClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * How the local stack runs each of the system's jobs in a JVM of its own: main class, classpath,
 * JVM flags and health probe. Public so that tests and benchmarks start exactly what {@code channel
 * up} starts.
 *
 * <p>Each job is handed the stack's effective configuration unchanged (minus secrets), so it finds
 * its state where it would when started by hand: {@link ChannelConfig#stateDir} of its name.
 */
public final class LocalJobs {
  private static final String G1 = "-XX:+UseG1GC";
  private static final String SERIAL = "-XX:+UseSerialGC";

  private LocalJobs() {}

  /** The Flink log parser on a MiniCluster; healthy once its job is RUNNING. */
  public static LocalJob parser(ChannelConfig config, Distributions dist, Path dir) {
    return new Spec("parser", "dev.channelanalytics.parser.LogParserJob", dist::parserClasspath)
        .jvm(dist.flinkJvmArgs(), Setting.LOCAL_PARSER_HEAP, G1)
        .health(Setting.PARSER_REST_PORT, "/jobs/overview", "\"state\":\"RUNNING\"")
        .job(config, dir);
  }

  /**
   * The Spark sharder in local mode; healthy while its streaming query runs: the query's metrics
   * ({@code spark.streaming.first-seen.*}) are in the Spark UI's metrics servlet only then.
   */
  public static LocalJob sharder(ChannelConfig config, Distributions dist, Path dir) {
    return new Spec("sharder", "dev.channelanalytics.sharder.SharderJob", dist::sharderClasspath)
        .jvm(dist.sparkJvmArgs(), Setting.LOCAL_SHARDER_HEAP, G1)
        .health(Setting.SHARDER_UI_PORT, "/metrics/json/", SHARDER_QUERY_METRICS)
        .job(config, dir);
  }

  /**
   * The parser on the local Flink session cluster ({@code channel up --cluster}): {@link
   * FlinkJobSubmitter} keeps the job submitted with {@code flink run}; healthy once the cluster
   * reports the job RUNNING.
   */
  public static LocalJob parserOnCluster(ChannelConfig config, Distributions dist, Path dir) {
    return new Spec("parser", FlinkJobSubmitter.class.getName(), dist::cliClasspath)
        .jvm(List.of("-Xmx96m"), null, SERIAL)
        .health(Setting.PARSER_REST_PORT, "/jobs/overview", "\"state\":\"RUNNING\"")
        .job(config, dir);
  }

  /**
   * The sharder on the local Spark standalone cluster ({@code channel up --cluster}): its shaded
   * job jar through {@code spark-submit} (Spark's {@code SparkSubmit}) in client mode, so this JVM
   * is the driver and the worker runs the executor; healthy while its streaming query runs.
   */
  public static LocalJob sharderOnCluster(
      ChannelConfig config, Distributions dist, Path dir, SparkStandaloneProcess.Shape spark) {
    String executorMemory = config.get(Setting.LOCAL_SPARK_WORKER_MEMORY);
    return new Spec("sharder", "org.apache.spark.deploy.SparkSubmit", dist::sparkClasspath)
        .jvm(dist.sparkJvmArgs(), Setting.LOCAL_SHARDER_HEAP, G1)
        .launcher(
            () ->
                List.of(
                    "--master",
                    spark.masterUrl(),
                    "--deploy-mode",
                    "client",
                    "--name",
                    "channel sharder",
                    "--class",
                    "dev.channelanalytics.sharder.SharderJob",
                    "--executor-memory",
                    executorMemory,
                    "--total-executor-cores",
                    Integer.toString(spark.workerCores()),
                    "--conf",
                    "spark.driver.host=127.0.0.1",
                    "--conf",
                    "spark.driver.bindAddress=127.0.0.1",
                    dist.sharderJobJar().toString()))
        .health(Setting.SHARDER_UI_PORT, "/metrics/json/", SHARDER_QUERY_METRICS)
        .job(config, dir);
  }

  /** What the sharder's metrics hold while its query runs (SharderJob.QUERY_NAME). */
  public static final String SHARDER_QUERY_METRICS = "spark.streaming.first-seen.";

  /** The reporting service (Quartz and the report API); healthy once the API answers. */
  public static LocalJob calculator(ChannelConfig config, Distributions dist, Path dir) {
    String main = "dev.channelanalytics.calculator.NewUserCalculatorService";
    return new Spec("calculator", main, dist::calculatorClasspath)
        .jvm(List.of(), Setting.LOCAL_CALCULATOR_HEAP, SERIAL)
        .serviceHealth(Setting.CALCULATOR_PORT, "/health", "\"up\"")
        .job(config, dir);
  }

  /**
   * The offline path's warehouse (Spark with Hive support, HiveServer2 on {@code
   * local.offline.port}) with its hourly schedule; healthy once its status endpoint answers.
   */
  public static LocalJob warehouse(ChannelConfig config, Distributions dist, Path dir) {
    String main = "dev.channelanalytics.offline.OfflineWarehouseService";
    return new Spec("warehouse", main, dist::offlineClasspath)
        .jvm(dist.sparkJvmArgs(), Setting.LOCAL_OFFLINE_HEAP, G1)
        .serviceHealth(Setting.LOCAL_OFFLINE_STATUS_PORT, "/health", "\"up\"")
        .job(config, dir);
  }

  /**
   * The calibration service (Quartz after offline runs and nightly, {@code POST /runs}); healthy
   * once its status endpoint answers.
   */
  public static LocalJob calibration(ChannelConfig config, Distributions dist, Path dir) {
    String main = "dev.channelanalytics.calibration.CalibrationService";
    return new Spec("calibration", main, dist::calibrationClasspath)
        .jvm(dist.sparkJvmArgs(), Setting.LOCAL_CALIBRATION_HEAP, SERIAL)
        .serviceHealth(Setting.CALIBRATION_PORT, "/health", "\"up\"")
        .job(config, dir);
  }

  /**
   * A steady simulated load at {@code local.demo.rate} envelopes per second, with event times
   * following the wall clock, for a day; a new seed at every start. Healthy while it runs.
   */
  public static LocalJob demo(ChannelConfig config, Distributions dist, Path dir) {
    int rate = Math.max(1, config.intValue(Setting.LOCAL_DEMO_RATE));
    long perDay = rate * 86_400L;
    return new Spec("demo", "dev.channelanalytics.cli.ChannelCli", dist::cliClasspath)
        .jvm(List.of("-Xmx256m"), null, SERIAL)
        .args(
            "simulate",
            "--envelopes",
            Long.toString(Math.min(Integer.MAX_VALUE, perDay)),
            "--rate",
            Integer.toString(rate),
            "--span",
            "PT24H",
            "--start",
            Instant.now().toString(),
            "--seed",
            Long.toString(System.currentTimeMillis()))
        .job(config, dir);
  }

  /**
   * The watcher that restarts what dies ({@link StackSupervisor}); a small JVM without a port,
   * healthy while it runs.
   */
  public static LocalJob supervisor(ChannelConfig config, Distributions dist, Path dir) {
    String main = "dev.channelanalytics.local.StackSupervisor";
    return new Spec("supervisor", main, dist::cliClasspath)
        .jvm(List.of("-Xmx96m"), null, SERIAL)
        .job(config, dir);
  }

  /** What differs between the jobs, named step by step, so no factory repeats another's shape. */
  private static final class Spec {
    private final String name;
    private final String mainClass;
    private final Supplier<String> classpath;
    private List<String> engine = List.of();
    private Setting heap;
    private String gc = SERIAL;
    private Setting port;
    private String healthPath = "";
    private String healthyWhenBodyHas = "";
    private List<String> args = List.of();
    private Supplier<List<String>> launcherArgs = List::of;
    private boolean ownService;

    Spec(String name, String mainClass, Supplier<String> classpath) {
      this.name = name;
      this.mainClass = mainClass;
      this.classpath = classpath;
    }

    /** The engine's flags, a fixed heap of size {@code heap} (null: none) and a collector. */
    Spec jvm(List<String> engine, Setting heap, String gc) {
      this.engine = engine;
      this.heap = heap;
      this.gc = gc;
      return this;
    }

    /**
     * Arguments between the main class and {@code --config FILE}: a launcher's (spark-submit's),
     * read when the job starts, since they may name a jar that is built later.
     */
    Spec launcher(Supplier<List<String>> args) {
      this.launcherArgs = args;
      return this;
    }

    /** Arguments after {@code --config FILE}. */
    Spec args(String... args) {
      this.args = List.of(args);
      return this;
    }

    /** Healthy when {@code path} on the port of {@code port} answers 200 with {@code marker}. */
    Spec health(Setting port, String path, String marker) {
      this.port = port;
      this.healthPath = path;
      this.healthyWhenBodyHas = marker;
      return this;
    }

    /**
     * As {@link #health}, for one of the system's own HTTP services: probed over TLS when the
     * services use it ({@code api.tls-keystore}).
     */
    Spec serviceHealth(Setting port, String path, String marker) {
      this.ownService = true;
      return health(port, path, marker);
    }

    LocalJob job(ChannelConfig config, Path dir) {
      List<String> flags = new ArrayList<>(engine);
      if (heap != null) {
        flags.addAll(List.of("-Xms" + config.get(heap), "-Xmx" + config.get(heap)));
      }
      flags.add(gc);
      // An out-of-memory error ends the JVM, which the supervisor restarts, rather than leaving
      // a job alive with some of its threads dead.
      flags.add("-XX:+ExitOnOutOfMemoryError");
      String marker = healthyWhenBodyHas;
      int probed = port == null ? 0 : config.intValue(port);
      java.net.URI base =
          probed == 0
              ? null
              : ownService
                  ? ServiceClient.local(config, probed)
                  : java.net.URI.create("http://localhost:" + probed + "/");
      java.net.http.HttpClient http =
          ownService
              ? ServiceClient.client(config, java.time.Duration.ofSeconds(2))
              : java.net.http.HttpClient.newBuilder()
                  .connectTimeout(java.time.Duration.ofSeconds(2))
                  .build();
      return new LocalJob(
          new LocalJob.Settings(
              name,
              mainClass,
              launcherArgs,
              classpath,
              flags,
              port == null ? 0 : config.intValue(port),
              healthPath,
              body -> body.contains(marker),
              base,
              http,
              dir,
              config.baseDir(),
              config.properties(),
              args));
    }
  }
}
