package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The embedded default on one machine: starts each service once, reports its health, and stops
 * exactly the processes it started, by the pids it recorded under the state directory.
 */
public final class LocalStack {
  /** What {@code channel status} shows for one service. */
  public record ServiceStatus(String name, String state, int port, Long pid, Path logFile) {
    public boolean healthy() {
      return state.equals("healthy");
    }
  }

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private final ChannelConfig config;
  private final Path stateDir;

  /** Kafka and Elasticsearch: started first; the topics are created once they are healthy. */
  private final List<StackService> infrastructure;

  /** The system's own jobs, started after the topics exist. */
  private final List<StackService> jobs;

  private final List<StackService> services;
  private final KafkaBroker kafka;
  private final LocalJob demo;
  private final boolean startDemo;

  public LocalStack(ChannelConfig config) {
    this(config, true);
  }

  /**
   * The stack of {@code config}; with {@code demo}, also a steady simulated load (the demo keyring
   * and a simulator), without it only what outside data is published.
   */
  public LocalStack(ChannelConfig config, boolean demo) {
    this.config = config;
    this.stateDir = config.path(Setting.LOCAL_STATE_DIR);
    Distributions dist = Distributions.ofThisBuild();
    this.kafka =
        new KafkaBroker(
            new KafkaBroker.Settings(
                config.intValue(Setting.LOCAL_KAFKA_PORT),
                config.intValue(Setting.LOCAL_KAFKA_CONTROLLER_PORT),
                config.get(Setting.LOCAL_KAFKA_HEAP),
                stateDir.resolve("kafka")),
            dist);
    ElasticsearchNode elasticsearch =
        new ElasticsearchNode(
            new ElasticsearchNode.Settings(
                config.intValue(Setting.LOCAL_ELASTICSEARCH_PORT),
                config.intValue(Setting.LOCAL_ELASTICSEARCH_TRANSPORT_PORT),
                config.get(Setting.LOCAL_ELASTICSEARCH_HEAP),
                stateDir.resolve("elasticsearch"),
                config.get(Setting.LOCAL_ELASTICSEARCH_USER)),
            dist);
    this.infrastructure = List.of(kafka, elasticsearch);
    List<StackService> jobList =
        new ArrayList<>(
            List.of(
                parser(config, dist, stateDir.resolve("parser")),
                sharder(config, dist, stateDir.resolve("sharder")),
                calculator(config, dist, stateDir.resolve("calculator")),
                warehouse(config, dist, stateDir.resolve("offline"))));
    // The demo is always known, so status and down see one started earlier; up starts it on ask.
    this.demo = demo(config, dist, stateDir.resolve("demo"));
    jobList.add(this.demo);
    this.jobs = List.copyOf(jobList);
    this.startDemo = demo;
    List<StackService> all = new ArrayList<>(infrastructure);
    all.addAll(jobs);
    this.services = List.copyOf(all);
  }

  /** The reporting service (Quartz and the report API); healthy once the API answers. */
  public static LocalJob calculator(ChannelConfig config, Distributions dist, Path dir) {
    return service(
        config,
        dir,
        "calculator",
        "dev.channelanalytics.calculator.NewUserCalculatorService",
        dist::calculatorClasspath,
        jvmArgs(List.of(), config.get(Setting.LOCAL_CALCULATOR_HEAP), "-XX:+UseSerialGC"),
        config.intValue(Setting.LOCAL_CALCULATOR_PORT),
        "/health",
        body -> body.contains("\"up\""));
  }

  /** A job's JVM options: its engine's flags, a fixed heap and a collector. */
  private static List<String> jvmArgs(List<String> engine, String heap, String gc) {
    List<String> jvm = new ArrayList<>(engine);
    jvm.addAll(List.of("-Xms" + heap, "-Xmx" + heap, gc));
    return jvm;
  }

  /** A job of the stack, run with the effective configuration (no secrets) and no extra args. */
  private static LocalJob service(
      ChannelConfig config,
      Path dir,
      String name,
      String mainClass,
      java.util.function.Supplier<String> classpath,
      List<String> jvm,
      int port,
      String healthPath,
      java.util.function.Predicate<String> healthy) {
    return new LocalJob(
        new LocalJob.Settings(
            name,
            mainClass,
            classpath,
            jvm,
            port,
            healthPath,
            healthy,
            dir,
            config.baseDir(),
            config.nonSecretProperties(),
            List.of()));
  }

  /**
   * The offline path's warehouse (Spark with Hive support, HiveServer2 on {@code
   * local.offline.port}) with its hourly schedule; healthy once its status endpoint answers.
   */
  public static LocalJob warehouse(ChannelConfig config, Distributions dist, Path dir) {
    return service(
        config,
        dir,
        "warehouse",
        "dev.channelanalytics.offline.OfflineWarehouseService",
        dist::offlineClasspath,
        jvmArgs(dist.sparkJvmArgs(), config.get(Setting.LOCAL_OFFLINE_HEAP), "-XX:+UseG1GC"),
        config.intValue(Setting.LOCAL_OFFLINE_STATUS_PORT),
        "/health",
        body -> body.contains("\"up\""));
  }

  /**
   * The Spark sharder in local mode in its own JVM; healthy once its application shows in the Spark
   * UI's REST API.
   */
  public static LocalJob sharder(ChannelConfig config, Distributions dist, Path dir) {
    return service(
        config,
        dir,
        "sharder",
        "dev.channelanalytics.sharder.SharderJob",
        dist::sharderClasspath,
        jvmArgs(dist.sparkJvmArgs(), config.get(Setting.LOCAL_SHARDER_HEAP), "-XX:+UseG1GC"),
        config.intValue(Setting.LOCAL_SHARDER_UI_PORT),
        "/api/v1/applications",
        body -> body.contains("channel sharder"));
  }

  /**
   * The Flink log parser on a MiniCluster in its own JVM; healthy once its job is RUNNING. Public
   * so that benchmarks run exactly what the stack runs.
   */
  public static LocalJob parser(ChannelConfig config, Distributions dist, Path dir) {
    return service(
        config,
        dir,
        "parser",
        "dev.channelanalytics.parser.LogParserJob",
        dist::parserClasspath,
        jvmArgs(dist.flinkJvmArgs(), config.get(Setting.LOCAL_PARSER_HEAP), "-XX:+UseG1GC"),
        config.intValue(Setting.LOCAL_PARSER_REST_PORT),
        "/jobs/overview",
        body -> body.contains("\"state\":\"RUNNING\""));
  }

  public List<StackService> services() {
    return services;
  }

  /** Starts every service that is not running yet, waits for health, creates the topics. */
  public void up(PrintStream out) {
    start(infrastructure, out);
    KafkaTopics.ensure(
        kafka.bootstrapServers(), KafkaTopics.contractTopics(config), Duration.ofMinutes(1));
    out.printf("%-14s topics ready: %s%n", "kafka", config.topics());
    List<StackService> toStart = new ArrayList<>(jobs);
    if (!startDemo) {
      toStart.remove(demo);
    }
    start(toStart, out);
    out.printf(
        "%nDashboard: http://localhost:%d/   report API: http://localhost:%d/api/v1/new-users%n",
        config.intValue(Setting.LOCAL_CALCULATOR_PORT),
        config.intValue(Setting.LOCAL_CALCULATOR_PORT));
    out.printf(
        "Offline warehouse (Hive JDBC): %s   hourly runs: channel offline run --help%n",
        config.get(Setting.OFFLINE_JDBC_URL));
  }

  /**
   * A steady simulated load at {@code local.demo.rate} envelopes per second, with event times
   * following the wall clock, for a day; a new seed at every start.
   */
  public static LocalJob demo(ChannelConfig config, Distributions dist, Path dir) {
    int rate = Math.max(1, config.intValue(Setting.LOCAL_DEMO_RATE));
    long perDay = rate * 86_400L;
    return new LocalJob(
        new LocalJob.Settings(
            "demo",
            "dev.channelanalytics.cli.ChannelCli",
            dist::cliClasspath,
            List.of("-Xmx256m", "-XX:+UseSerialGC"),
            0,
            "",
            body -> true,
            dir,
            config.baseDir(),
            config.nonSecretProperties(),
            List.of(
                "simulate",
                "--envelopes",
                Long.toString(Math.min(Integer.MAX_VALUE, perDay)),
                "--rate",
                Integer.toString(rate),
                "--span",
                "PT24H",
                "--start",
                java.time.Instant.now().toString(),
                "--seed",
                Long.toString(System.currentTimeMillis()))));
  }

  private void start(List<StackService> group, PrintStream out) {
    for (StackService s : group) {
      Path pidFile = pidFile(s);
      Optional<ManagedProcess> running = ManagedProcess.fromPidFile(pidFile);
      if (running.isPresent()) {
        out.printf("%-14s already running (pid %d)%n", s.name(), running.get().pid());
      } else {
        if (portInUse(s.port())) {
          throw new IllegalStateException(
              s.name()
                  + ": port "
                  + s.port()
                  + " is already in use by a process this stack did not start;"
                  + " stop it or configure another port (channel config shows the keys)");
        }
        createDirectories(stateDir.resolve(s.name()));
        s.prepare();
        ManagedProcess p = s.start(true);
        p.writePidFile(pidFile);
        out.printf("%-14s starting (pid %d, port %d) ...%n", s.name(), p.pid(), s.port());
      }
      awaitHealthy(s, out);
    }
  }

  private void awaitHealthy(StackService s, PrintStream out) {
    Path pidFile = pidFile(s);
    try {
      Poll.until(
          s.name() + " to become healthy",
          START_TIMEOUT,
          () -> {
            if (ManagedProcess.fromPidFile(pidFile).isEmpty()) {
              throw new IllegalStateException(s.name() + " exited during start-up");
            }
            return s.healthy();
          });
    } catch (IllegalStateException e) {
      throw new IllegalStateException(
          s.name() + " did not become healthy: " + rootMessage(e) + "; see " + s.logFile(), e);
    }
    out.printf("%-14s healthy on port %d%n", s.name(), s.port());
  }

  /** Stops the services in reverse order; returns true when none of their processes is left. */
  public boolean down(PrintStream out) {
    boolean clean = true;
    List<StackService> reversed = new ArrayList<>(services);
    java.util.Collections.reverse(reversed);
    for (StackService s : reversed) {
      Path pidFile = pidFile(s);
      Optional<ManagedProcess> p = ManagedProcess.fromPidFile(pidFile);
      if (p.isEmpty()) {
        out.printf("%-14s not running%n", s.name());
      } else {
        boolean stopped = p.get().stop(STOP_GRACE);
        clean &= stopped;
        out.printf(
            "%-14s %s (pid %d)%n", s.name(), stopped ? "stopped" : "STILL RUNNING", p.get().pid());
      }
      if (ManagedProcess.fromPidFile(pidFile).isEmpty()) {
        deleteQuietly(pidFile);
      }
    }
    return clean;
  }

  public List<ServiceStatus> status() {
    List<ServiceStatus> out = new ArrayList<>();
    for (StackService s : services) {
      Optional<ManagedProcess> p = ManagedProcess.fromPidFile(pidFile(s));
      if (s == demo && p.isEmpty()) {
        continue; // not asked for: neither healthy nor unhealthy
      }
      String state = p.isEmpty() ? "stopped" : s.healthy() ? "healthy" : "unhealthy";
      out.add(
          new ServiceStatus(
              s.name(), state, s.port(), p.map(ManagedProcess::pid).orElse(null), s.logFile()));
    }
    return out;
  }

  /**
   * Records each stage has not consumed yet (read_committed end offsets minus its group's committed
   * offsets): when all are 0, the pipeline has consumed everything published so far. A stage that
   * never committed counts everything; unknown (Kafka down) is -1.
   */
  public java.util.LinkedHashMap<String, Long> consumerLag() {
    java.util.LinkedHashMap<String, Long> out = new java.util.LinkedHashMap<>();
    out.put(
        "parser (" + config.topics().rawLogs() + ")",
        lag(config.get(Setting.PARSER_GROUP_ID), config.topics().rawLogs()));
    out.put(
        "sharder (" + config.topics().parsedEvents() + ")",
        lag(config.get(Setting.SHARDER_GROUP_ID), config.topics().parsedEvents()));
    return out;
  }

  private long lag(String group, String topic) {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("bootstrap.servers", config.kafkaBootstrapServers());
    p.setProperty("request.timeout.ms", "3000");
    p.setProperty("default.api.timeout.ms", "5000");
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(p)) {
      var committed =
          admin
              .listConsumerGroupOffsets(group)
              .partitionsToOffsetAndMetadata()
              .get(5, java.util.concurrent.TimeUnit.SECONDS);
      var description =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(5, java.util.concurrent.TimeUnit.SECONDS)
              .get(topic);
      java.util.Map<
              org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec>
          latest = new java.util.HashMap<>();
      description
          .partitions()
          .forEach(
              pi ->
                  latest.put(
                      new org.apache.kafka.common.TopicPartition(topic, pi.partition()),
                      org.apache.kafka.clients.admin.OffsetSpec.latest()));
      long lag = 0;
      for (var e :
          admin
              .listOffsets(
                  latest,
                  new org.apache.kafka.clients.admin.ListOffsetsOptions(
                      org.apache.kafka.common.IsolationLevel.READ_COMMITTED))
              .all()
              .get(5, java.util.concurrent.TimeUnit.SECONDS)
              .entrySet()) {
        var c = committed.get(e.getKey());
        lag += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
      }
      return lag;
    } catch (Exception e) {
      return -1;
    }
  }

  public Optional<StackService> service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  private Path pidFile(StackService s) {
    return stateDir.resolve(s.name()).resolve(s.name() + ".pid");
  }

  private static boolean portInUse(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void createDirectories(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a stale pid file is harmless: fromPidFile checks the process behind it
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
