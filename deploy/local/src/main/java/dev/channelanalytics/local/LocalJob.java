package dev.channelanalytics.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * One of the system's own jobs run by the local stack in a JVM of its own: the job's main class on
 * its module's classpath, with the stack's effective configuration written beside its state.
 */
public final class LocalJob implements StackService {
  /**
   * How to run and probe the job.
   *
   * @param name the name in {@code channel status}
   * @param mainClass the job's entry point, which takes {@code --config FILE}
   * @param mainArgs arguments before {@code --config FILE} (a launcher's, such as spark-submit's),
   *     read when the job starts
   * @param classpath the job's classpath, read when the job starts (status works unbuilt)
   * @param jvmArgs extra JVM flags (add-opens lists, heap)
   * @param port the HTTP port the job serves its health on, or 0 for none
   * @param healthPath the path probed on that port
   * @param healthy decides from the response body whether the job is healthy
   * @param healthBase where the health page is ({@code http} or, for the system's own services with
   *     TLS, {@code https} on localhost and the port), or null for none
   * @param http the client that probes it
   * @param dir the job's state folder
   * @param baseDir the folder relative configuration paths resolve against
   * @param config the effective configuration, secrets included (written for the job's user only)
   * @param args arguments after {@code --config FILE}
   */
  public record Settings(
      String name,
      String mainClass,
      java.util.function.Supplier<List<String>> mainArgs,
      java.util.function.Supplier<String> classpath,
      List<String> jvmArgs,
      int port,
      String healthPath,
      Predicate<String> healthy,
      URI healthBase,
      HttpClient http,
      Path dir,
      Path baseDir,
      Properties config,
      List<String> args) {}

  private final Settings settings;

  public LocalJob(Settings settings) {
    this.settings = settings;
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public int port() {
    return settings.port();
  }

  @Override
  public Path logFile() {
    return settings.dir().resolve(settings.name() + ".log");
  }

  /**
   * The logging of every JVM the stack starts (the jobs, the Flink and Spark cluster processes): to
   * standard output, which is the service's log, with the engines' chatter at WARN.
   */
  static final String LOG4J2 =
      String.join(
          "\n",
          "rootLogger.level = INFO",
          "rootLogger.appenderRef.console.ref = console",
          "appender.console.type = Console",
          "appender.console.name = console",
          "appender.console.layout.type = PatternLayout",
          "appender.console.layout.pattern = %d{ISO8601} %-5p %c{1} - %m%n",
          "logger.kafka.name = org.apache.kafka",
          "logger.kafka.level = WARN",
          "logger.pekko.name = org.apache.pekko",
          "logger.pekko.level = WARN",
          // The warehouse's metastore and Hadoop log every table operation at INFO.
          "logger.hadoop.name = org.apache.hadoop",
          "logger.hadoop.level = WARN",
          "logger.hive.name = org.apache.hive",
          "logger.hive.level = WARN",
          "logger.datanucleus.name = DataNucleus",
          "logger.datanucleus.level = WARN",
          "logger.parquet.name = org.apache.parquet",
          "logger.parquet.level = WARN",
          "logger.hiveconf.name = org.apache.hadoop.hive.conf.HiveConf",
          "logger.hiveconf.level = ERROR",
          "logger.bonecp.name = com.jolbox.bonecp",
          "logger.bonecp.level = WARN",
          // HiveServer2 logs an error each time a JDBC client closes its connection.
          "logger.thrift.name = org.apache.thrift.server.TThreadPoolServer",
          "logger.thrift.level = OFF",
          // Flink's exactly-once Kafka sink and checkpoints log every second at INFO.
          "logger.spark.name = org.apache.spark",
          "logger.spark.level = WARN",
          "logger.sparkjetty.name = org.sparkproject.jetty",
          "logger.sparkjetty.level = WARN",
          "logger.kafkasink.name = org.apache.flink.connector.kafka",
          "logger.kafkasink.level = WARN",
          "logger.checkpoints.name = org.apache.flink.runtime.checkpoint",
          "logger.checkpoints.level = WARN",
          // Known noise: the sink's committer registers a metric twice.
          "logger.metricnames.name = org.apache.flink.metrics.MetricGroup",
          "logger.metricnames.level = ERROR",
          "");

  private Path configFile() {
    return settings.dir().resolve("channel.properties");
  }

  /**
   * Writes the effective configuration the job reads, readable by this user only: it may hold
   * secrets (an inline keyring), which never go to the job's environment or command line.
   */
  @Override
  public void prepare() {
    try {
      Files.createDirectories(settings.dir());
      java.io.StringWriter out = new java.io.StringWriter();
      settings.config().store(out, "effective configuration, written by the local stack");
      dev.channelanalytics.common.security.SecretFiles.write(
          configFile(), out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Files.writeString(settings.dir().resolve("log4j2.properties"), LOG4J2);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(KafkaBroker.javaBinary());
    cmd.addAll(settings.jvmArgs());
    cmd.add("-Dchannel.home=" + settings.baseDir());
    cmd.add("-Dlog4j2.configurationFile=" + settings.dir().resolve("log4j2.properties"));
    cmd.add("-cp");
    cmd.add(settings.classpath().get());
    cmd.add(settings.mainClass());
    cmd.addAll(settings.mainArgs().get());
    cmd.add("--config");
    cmd.add(configFile().toString());
    cmd.addAll(settings.args());
    return cmd;
  }

  /**
   * The environment a job starts with beyond its parent's: Spark binds its UI to {@code
   * SPARK_LOCAL_IP} (else every interface) and its driver and block manager to it by default, so
   * every Spark port of the local stack stays on loopback.
   */
  static final Map<String, String> ENVIRONMENT = Map.of("SPARK_LOCAL_IP", "127.0.0.1");

  @Override
  public ManagedProcess start(boolean detach) {
    return ManagedProcess.start(command(), ENVIRONMENT, settings.dir(), logFile(), detach);
  }

  /** Healthy when its health page answers; a job without a port is healthy while it runs. */
  @Override
  public boolean healthy() {
    if (settings.port() == 0) {
      return true;
    }
    try {
      HttpResponse<String> response =
          settings
              .http()
              .send(
                  HttpRequest.newBuilder(settings.healthBase().resolve(settings.healthPath()))
                      .timeout(Duration.ofSeconds(3))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && settings.healthy().test(response.body());
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
