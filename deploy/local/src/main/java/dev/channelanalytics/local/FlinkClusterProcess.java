package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One process of a Flink standalone session cluster, started from Flink's own entry points (the
 * {@code StandaloneSessionClusterEntrypoint} of the JobManager, the {@code TaskManagerRunner}) and
 * sized by Flink's own {@code BashJavaUtils} as Flink's scripts do, on the jars the registry serves
 * ({@code flink-dist} is not among them: flink-runtime, flink-streaming-java and flink-clients
 * are).
 */
public final class FlinkClusterProcess implements StackService {
  /** Which process of the cluster. */
  public enum Role {
    JOBMANAGER(
        "flink-jobmanager",
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
        "GET_JM_RESOURCE_PARAMS"),
    TASKMANAGER(
        "flink-taskmanager",
        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
        "GET_TM_RESOURCE_PARAMS");

    private final String service;
    private final String entryPoint;
    private final String resourceParams;

    Role(String service, String entryPoint, String resourceParams) {
      this.service = service;
      this.entryPoint = entryPoint;
      this.resourceParams = resourceParams;
    }
  }

  /**
   * The cluster's shape.
   *
   * @param restPort the JobManager's REST API (the parser's health and {@code flink run}'s target)
   * @param rpcPort the JobManager's RPC port
   * @param jobManagerMemory {@code jobmanager.memory.process.size}
   * @param taskManagerMemory {@code taskmanager.memory.process.size}
   * @param slots task slots of the TaskManager
   * @param reporterHost where the TaskManager serves Prometheus metrics
   * @param reporterPort its port; 0: no reporter
   */
  public record Shape(
      int restPort,
      int rpcPort,
      String jobManagerMemory,
      String taskManagerMemory,
      int slots,
      String reporterHost,
      int reporterPort) {}

  /** The TaskManager's fixed resource id: how the JobManager's REST API names it. */
  static final String TASKMANAGER_ID = "channel-taskmanager-1";

  private final Role role;
  private final Shape shape;
  private final Path dir;
  private final Distributions dist;

  public FlinkClusterProcess(Role role, Shape shape, Path dir, Distributions dist) {
    this.role = role;
    this.shape = shape;
    this.dir = dir;
    this.dist = dist;
  }

  @Override
  public String name() {
    return role.service;
  }

  @Override
  public int port() {
    return role == Role.JOBMANAGER ? shape.restPort() : 0;
  }

  @Override
  public Path logFile() {
    return dir.resolve(role.service + ".log");
  }

  /** Flink's configuration folder of this process (what {@code flink run} reads as well). */
  public Path confDir() {
    return dir.resolve("conf");
  }

  /** The cluster's configuration, as Flink's {@code config.yaml} holds it. */
  Map<String, String> configuration() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "localhost");
    c.put("jobmanager.rpc.port", Integer.toString(shape.rpcPort()));
    c.put("jobmanager.bind-host", "localhost");
    c.put("jobmanager.memory.process.size", shape.jobManagerMemory());
    c.put("rest.address", "localhost");
    c.put("rest.bind-address", "localhost");
    c.put("rest.port", Integer.toString(shape.restPort()));
    c.put("web.access-control-allow-origin", "http://localhost:" + shape.restPort());
    c.put("taskmanager.host", "localhost");
    c.put("taskmanager.bind-host", "localhost");
    c.put("taskmanager.resource-id", TASKMANAGER_ID);
    c.put("taskmanager.numberOfTaskSlots", Integer.toString(shape.slots()));
    c.put("taskmanager.memory.process.size", shape.taskManagerMemory());
    // The parser keeps little state on the heap; Flink's default managed memory is for RocksDB.
    c.put("taskmanager.memory.managed.size", "32m");
    c.put("taskmanager.memory.network.min", "64m");
    c.put("taskmanager.memory.network.max", "64m");
    c.put("taskmanager.memory.jvm-metaspace.size", "192m");
    // A lost TaskManager is noticed in seconds, not the default 50 s.
    c.put("heartbeat.interval", "2000");
    c.put("heartbeat.timeout", "10000");
    c.put("io.tmp.dirs", dir.resolve("tmp").toString());
    if (role == Role.TASKMANAGER && shape.reporterPort() != 0) {
      String prefix = "metrics.reporter.prometheus.";
      c.put(
          prefix + "factory.class",
          "dev.channelanalytics.parser.metrics.PrometheusReporterFactory");
      c.put(prefix + "host", shape.reporterHost());
      c.put(prefix + "port", Integer.toString(shape.reporterPort()));
    }
    return c;
  }

  /**
   * Writes the configuration and logging of this process; the TaskManager's Prometheus reporter
   * becomes a plugin (its own class loader), as on a real cluster.
   */
  @Override
  public void prepare() {
    try {
      Files.createDirectories(confDir());
      Files.createDirectories(dir.resolve("tmp"));
      StringBuilder yaml = new StringBuilder("# Written by the channel local stack.\n");
      configuration().forEach((k, v) -> yaml.append(k).append(": \"").append(v).append("\"\n"));
      Files.writeString(confDir().resolve("config.yaml"), yaml);
      Files.writeString(confDir().resolve("log4j2.properties"), LocalJob.LOG4J2);
      Path plugins = pluginsDir();
      deleteTree(plugins);
      Files.createDirectories(plugins);
      if (role == Role.TASKMANAGER && shape.reporterPort() != 0) {
        Path reporter = Files.createDirectories(plugins.resolve("channel-prometheus"));
        for (Path jar : dist.parserReporterPluginJars()) {
          Files.createSymbolicLink(reporter.resolve(jar.getFileName()), jar.toAbsolutePath());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path pluginsDir() {
    return dir.resolve("plugins");
  }

  /** Starts the process; call {@link #prepare()} first. */
  @Override
  public ManagedProcess start(boolean detach) {
    return ManagedProcess.start(
        command(), Map.of("FLINK_PLUGINS_DIR", pluginsDir().toString()), dir, logFile(), detach);
  }

  /**
   * The entry point with the heap and the memory options that Flink's {@code BashJavaUtils} derives
   * from the process size, as {@code jobmanager.sh} and {@code taskmanager.sh} pass them.
   */
  public List<String> command() {
    List<String> resources = bashJavaUtils();
    List<String> cmd = new ArrayList<>();
    cmd.add(KafkaBroker.javaBinary());
    cmd.addAll(List.of(resources.get(0).trim().split("\\s+")));
    cmd.addAll(dist.flinkJvmArgs());
    cmd.addAll(List.of("-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"));
    cmd.add("-Dlog4j.configurationFile=" + confDir().resolve("log4j2.properties"));
    cmd.add("-Dlog.file=" + logFile());
    cmd.add("-cp");
    cmd.add(dist.flinkClasspath());
    cmd.add(role.entryPoint);
    cmd.addAll(List.of("--configDir", confDir().toString()));
    if (role == Role.JOBMANAGER) {
      cmd.addAll(List.of("--executionMode", "cluster"));
    }
    if (resources.size() > 1 && !resources.get(1).isBlank()) {
      cmd.addAll(List.of(resources.get(1).trim().split("\\s+")));
    }
    return cmd;
  }

  /** The result lines of Flink's BashJavaUtils for this role: JVM flags, then dynamic options. */
  private List<String> bashJavaUtils() {
    List<String> cmd =
        List.of(
            KafkaBroker.javaBinary(),
            "-Xmx128m",
            "-cp",
            dist.flinkClasspath(),
            "-Dlog4j.configurationFile=" + confDir().resolve("log4j2.properties"),
            "org.apache.flink.runtime.util.bash.BashJavaUtils",
            role.resourceParams,
            "--configDir",
            confDir().toString());
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      ChannelConfig.removeSecrets(pb.environment());
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("Flink's BashJavaUtils failed for " + name() + ": " + out);
      }
      String prefix = "BASH_JAVA_UTILS_EXEC_RESULT:";
      List<String> results =
          out.lines()
              .filter(l -> l.startsWith(prefix))
              .map(l -> l.substring(prefix.length()))
              .toList();
      if (results.isEmpty()) {
        throw new IllegalStateException(
            "Flink's BashJavaUtils gave no result for " + name() + ": " + out);
      }
      return results;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The JobManager: its REST API answers. The TaskManager: the JobManager lists it as registered.
   */
  @Override
  public boolean healthy() {
    return role == Role.JOBMANAGER
        ? Probe.answers(
            URI.create("http://localhost:" + shape.restPort() + "/overview"), "\"flink-version\"")
        : Probe.answers(
            URI.create("http://localhost:" + shape.restPort() + "/taskmanagers"), TASKMANAGER_ID);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
