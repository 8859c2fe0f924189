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
 * The embedded default on one machine: starts each service once ({@link #up}), reports its health
 * ({@link #status}), and stops exactly the processes it started ({@link #down}), by the pids it
 * recorded in each service's state folder ({@link ChannelConfig#stateDir}). How each job's JVM is
 * built is {@link LocalJobs}; each stage's lag is {@link ConsumerLag}.
 */
public final class LocalStack {
  /** What {@code channel status} shows for one service. */
  public record ServiceStatus(
      String name,
      String state,
      int port,
      Long pid,
      Path logFile,
      StackSupervisor.Restarts restarts,
      String lastError) {
    public boolean healthy() {
      return state.equals("healthy");
    }
  }

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private final ChannelConfig config;

  /** Kafka and Elasticsearch: started first; the topics are created once they are healthy. */
  private final List<StackService> infrastructure;

  /** The system's own jobs, started after the topics exist. */
  private final List<StackService> jobs;

  private final List<StackService> services;

  /** Production-shaped ({@code local.cluster}): {@link LocalCluster}'s services. */
  private final boolean cluster;

  private final LocalJob demo;
  private final boolean startDemo;
  private final Optional<PrometheusServer> prometheus;

  /** Started last, stopped first: restarts what dies in between ({@link StackSupervisor}). */
  private final LocalJob supervisor;

  public LocalStack(ChannelConfig config) {
    this(config, true);
  }

  /**
   * The stack of {@code config}; with {@code demo}, also a steady simulated load (the demo keyring
   * and a simulator), without it only what outside data is published.
   */
  public LocalStack(ChannelConfig config, boolean demo) {
    this.config = config;
    Distributions dist = Distributions.ofThisBuild();
    this.cluster = LocalCluster.enabled(config);
    List<StackService> infra = new ArrayList<>();
    if (cluster) {
      infra.addAll(LocalCluster.kafka(config, dist));
      infra.addAll(LocalCluster.elasticsearch(config, dist));
    } else {
      infra.add(
          new KafkaBroker(
              new KafkaBroker.Settings(
                  config.intValue(Setting.LOCAL_KAFKA_PORT),
                  config.intValue(Setting.LOCAL_KAFKA_CONTROLLER_PORT),
                  config.get(Setting.LOCAL_KAFKA_HEAP),
                  config.stateDir("kafka"),
                  config.duration(Setting.KAFKA_MAX_TRANSACTION_TIMEOUT)),
              dist));
      infra.add(
          new ElasticsearchNode(
              new ElasticsearchNode.Settings(
                  config.intValue(Setting.LOCAL_ELASTICSEARCH_PORT),
                  config.intValue(Setting.LOCAL_ELASTICSEARCH_TRANSPORT_PORT),
                  config.get(Setting.LOCAL_ELASTICSEARCH_HEAP),
                  config.stateDir("elasticsearch"),
                  config.get(Setting.LOCAL_ELASTICSEARCH_USER)),
              dist));
    }
    this.infrastructure = List.copyOf(infra);
    // The demo is always known, so status and down see one started earlier; up starts it on ask.
    this.demo = LocalJobs.demo(config, dist, config.stateDir("demo"));
    List<StackService> own = new ArrayList<>();
    if (cluster) {
      own.addAll(LocalCluster.streamJobs(config, dist));
    } else {
      own.add(LocalJobs.parser(config, dist, config.stateDir("parser")));
      own.add(LocalJobs.sharder(config, dist, config.stateDir("sharder")));
    }
    own.addAll(
        List.of(
            LocalJobs.calculator(config, dist, config.stateDir("calculator")),
            LocalJobs.warehouse(config, dist, config.stateDir("offline")),
            LocalJobs.calibration(config, dist, config.stateDir("calibration"))));
    // Started once what it scrapes is up, and only where Debian's package is installed.
    this.prometheus = PrometheusServer.ifInstalled(config, dist, config.stateDir("prometheus"));
    prometheus.ifPresent(own::add);
    own.add(this.demo);
    this.jobs = List.copyOf(own);
    this.startDemo = demo;
    this.supervisor = LocalJobs.supervisor(config, dist, config.stateDir("supervisor"));
    List<StackService> all = new ArrayList<>(infrastructure);
    all.addAll(jobs);
    all.add(supervisor);
    this.services = List.copyOf(all);
  }

  public List<StackService> services() {
    return services;
  }

  /** What the supervisor keeps running: everything but the demo load and itself. */
  List<StackService> supervised() {
    List<StackService> out = new ArrayList<>(infrastructure);
    out.addAll(jobs);
    out.remove(demo);
    return out;
  }

  /** Where the supervisor counts its restarts, for {@code channel status}. */
  Path restartLedger() {
    return config.stateDir("supervisor").resolve("restarts.properties");
  }

  /** Starts every service that is not running yet, waits for health, creates the topics. */
  public void up(PrintStream out) {
    LocalSecrets.ensure(config, out);
    // Together: the nodes of a cluster become healthy only once enough of them are up.
    start(infrastructure, out, true);
    KafkaTopics.ensure(
        config.kafkaBootstrapServers(), KafkaTopics.contractTopics(config), Duration.ofMinutes(1));
    out.printf(
        "%-17s topics ready: %s (replication factor %s)%n",
        "kafka", config.topics(), config.get(Setting.TOPIC_REPLICATION_FACTOR));
    List<StackService> toStart = new ArrayList<>(jobs);
    if (!startDemo) {
      toStart.remove(demo);
    }
    start(toStart, out, false);
    start(List.of(supervisor), out, false);
    java.net.URI reports =
        dev.channelanalytics.common.security.ServiceClient.local(
            config, config.intValue(Setting.CALCULATOR_PORT));
    out.printf("%nDashboard: %s   report API: %s%n", reports, reports.resolve("/api/v1/new-users"));
    out.printf(
        "Offline warehouse (Hive JDBC): %s   hourly runs: channel offline run --help%n",
        config.get(Setting.OFFLINE_JDBC_URL));
    out.printf(
        "Calibration: %s   records: /api/v1/calibration   runs: channel calibrate --help%n",
        dev.channelanalytics.common.security.ServiceClient.local(
                config, config.intValue(Setting.CALIBRATION_PORT))
            .resolve("/health"));
    out.printf("Prometheus: %s%n", prometheusLine());
    if (!config.get(Setting.API_TOKENS_FILE).isBlank()) {
      out.printf(
          "API tokens: %s (reports%s; calibrate, offline runs and replays need its admin token,"
              + " which the channel command sends)%n",
          config.path(Setting.API_TOKENS_FILE),
          config.get(Setting.API_ANONYMOUS_ROLE).equals("viewer")
              ? " readable without a token, api.anonymous-role=viewer"
              : " need a token too");
    }
  }

  /** Starts what is not running of {@code group}, each awaited before the next, or all first. */
  private void start(List<StackService> group, PrintStream out, boolean together) {
    for (StackService s : group) {
      startOne(s, out);
      if (!together) {
        awaitHealthy(s, out);
      }
    }
    if (together) {
      group.forEach(s -> awaitHealthy(s, out));
    }
  }

  private void startOne(StackService s, PrintStream out) {
    {
      Path pidFile = pidFile(s);
      createDirectories(pidFile.getParent());
      underStartLock(
          pidFile,
          () -> {
            Optional<ManagedProcess> running = ManagedProcess.fromPidFile(pidFile);
            if (running.isPresent()) {
              out.printf("%-17s already running (pid %d)%n", s.name(), running.get().pid());
              return running.get();
            }
            // A job probed on its engine's port (the parser on the JobManager's) listens on none.
            boolean enginePort = services.stream().anyMatch(o -> o != s && o.port() == s.port());
            if (s.port() != 0 && !enginePort && portInUse(s.port())) {
              throw new IllegalStateException(
                  s.name()
                      + ": port "
                      + s.port()
                      + " is already in use by a process this stack did not start;"
                      + " stop it or configure another port (channel config shows the keys)");
            }
            s.prepare();
            ManagedProcess p = s.start(true);
            p.writePidFile(pidFile);
            out.printf("%-17s starting (pid %d, port %d) ...%n", s.name(), p.pid(), s.port());
            return p;
          });
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
    out.printf("%-17s healthy on port %d%n", s.name(), s.port());
  }

  /**
   * Stops the services in reverse order, the infrastructure last and all of it at once (a broker
   * stopped after the others would wait for a controller quorum already gone); returns true when
   * none of their processes is left.
   */
  public boolean down(PrintStream out) {
    boolean clean = true;
    List<StackService> reversed = new ArrayList<>(services);
    java.util.Collections.reverse(reversed);
    reversed.removeAll(infrastructure);
    for (StackService s : reversed) {
      clean &= stop(s, out);
    }
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(infrastructure.size());
    try {
      List<java.util.concurrent.Future<Boolean>> stopped = new ArrayList<>();
      for (StackService s : infrastructure) {
        stopped.add(pool.submit(() -> stop(s, out)));
      }
      for (java.util.concurrent.Future<Boolean> f : stopped) {
        clean &= f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("stopping the infrastructure failed", e.getCause());
    } finally {
      pool.shutdown();
    }
    return clean;
  }

  private boolean stop(StackService s, PrintStream out) {
    Path pidFile = pidFile(s);
    Optional<ManagedProcess> p = ManagedProcess.fromPidFile(pidFile);
    boolean stopped = true;
    if (p.isEmpty()) {
      out.printf("%-17s not running%n", s.name());
    } else {
      // The supervisor alone: what it restarted are its children, stopped next by their pids.
      stopped = p.get().stop(STOP_GRACE, s != supervisor);
      out.printf(
          "%-17s %s (pid %d)%n", s.name(), stopped ? "stopped" : "STILL RUNNING", p.get().pid());
    }
    if (ManagedProcess.fromPidFile(pidFile).isEmpty()) {
      deleteQuietly(pidFile);
    }
    return stopped;
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
              s.name(),
              state,
              s.port(),
              p.map(ManagedProcess::pid).orElse(null),
              s.logFile(),
              StackSupervisor.restarts(restartLedger(), s.name()),
              LogTail.lastError(s.logFile()).orElse(null)));
    }
    return out;
  }

  /** The stack's Prometheus, where it is installed. */
  public Optional<PrometheusServer> prometheus() {
    return prometheus;
  }

  /** Where Prometheus and its alerts are, or how to add it. */
  public String prometheusLine() {
    return prometheus
        .map(p -> p.url() + "   alerts: " + p.url().resolve("/alerts"))
        .orElse(PrometheusServer.HOW_TO_INSTALL);
  }

  public Optional<StackService> service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** Where the pid of {@code s} is recorded: what status, down and the supervisor read. */
  public Path pidFile(StackService s) {
    return config.stateDir(s.name()).resolve(s.name() + ".pid");
  }

  /**
   * Runs {@code start} holding a lock beside {@code pidFile}, so that {@code channel up} and the
   * supervisor never both start a service whose process just died.
   */
  static <T> T underStartLock(Path pidFile, java.util.function.Supplier<T> start) {
    Path lock = pidFile.resolveSibling(".start.lock");
    try (java.nio.channels.FileChannel channel =
            java.nio.channels.FileChannel.open(
                lock,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock held = channel.lock()) {
      return start.get();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + lock, e);
    }
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
