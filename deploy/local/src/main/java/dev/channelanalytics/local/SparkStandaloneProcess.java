package dev.channelanalytics.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One process of a Spark standalone cluster: the master or a worker, started from Spark's own entry
 * points ({@code org.apache.spark.deploy.master.Master}, {@code ...worker.Worker}) on the Spark
 * jars the build resolved. A worker launches its executors from {@code SPARK_HOME/jars}, so the
 * worker gets a Spark home of its own whose {@code jars/} links those same jars.
 */
public final class SparkStandaloneProcess implements StackService {
  /** Which process of the cluster. */
  public enum Role {
    MASTER("spark-master", "org.apache.spark.deploy.master.Master"),
    WORKER("spark-worker", "org.apache.spark.deploy.worker.Worker");

    private final String service;
    private final String entryPoint;

    Role(String service, String entryPoint) {
      this.service = service;
      this.entryPoint = entryPoint;
    }
  }

  /**
   * The cluster's shape.
   *
   * @param masterPort the master's port ({@code spark://127.0.0.1:PORT})
   * @param masterUiPort the master's web UI (its JSON is the health probe)
   * @param workerUiPort the worker's web UI
   * @param workerCores the cores the worker offers
   * @param workerMemory the memory the worker offers its executors
   */
  public record Shape(
      int masterPort, int masterUiPort, int workerUiPort, int workerCores, String workerMemory) {
    public String masterUrl() {
      return "spark://127.0.0.1:" + masterPort;
    }
  }

  private final Role role;
  private final Shape shape;
  private final Path dir;
  private final Distributions dist;

  public SparkStandaloneProcess(Role role, Shape shape, Path dir, Distributions dist) {
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
    return role == Role.MASTER ? shape.masterUiPort() : shape.workerUiPort();
  }

  @Override
  public Path logFile() {
    return dir.resolve(role.service + ".log");
  }

  private Path sparkHome() {
    return dir.resolve("home");
  }

  /** Writes logging; for a worker, its Spark home: {@code jars/} linking the build's Spark jars. */
  @Override
  public void prepare() {
    try {
      Path conf = Files.createDirectories(sparkHome().resolve("conf"));
      Files.writeString(conf.resolve("log4j2.properties"), LocalJob.LOG4J2);
      if (role == Role.WORKER) {
        Path jars = sparkHome().resolve("jars");
        if (Files.isDirectory(jars)) {
          try (Stream<Path> old = Files.list(jars)) {
            for (Path p : old.toList()) {
              Files.delete(p);
            }
          }
        }
        Files.createDirectories(jars);
        for (String jar : dist.sparkClasspath().split(java.io.File.pathSeparator)) {
          Path source = Path.of(jar);
          Path link = jars.resolve(source.getFileName());
          if (!jar.isBlank() && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, source.toAbsolutePath());
          }
        }
        Files.createDirectories(dir.resolve("work"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(KafkaBroker.javaBinary());
    cmd.addAll(List.of("-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"));
    cmd.addAll(dist.sparkJvmArgs());
    cmd.add("-Dlog4j2.configurationFile=" + sparkHome().resolve("conf/log4j2.properties"));
    // The UIs show the cluster; they may not kill what runs on it.
    cmd.add("-Dspark.ui.killEnabled=false");
    cmd.add("-cp");
    cmd.add(dist.sparkClasspath());
    cmd.add(role.entryPoint);
    cmd.addAll(List.of("--host", "127.0.0.1"));
    if (role == Role.MASTER) {
      cmd.addAll(List.of("--port", Integer.toString(shape.masterPort())));
      cmd.addAll(List.of("--webui-port", Integer.toString(shape.masterUiPort())));
    } else {
      cmd.addAll(List.of("--cores", Integer.toString(shape.workerCores())));
      cmd.addAll(List.of("--memory", shape.workerMemory()));
      cmd.addAll(List.of("--webui-port", Integer.toString(shape.workerUiPort())));
      cmd.addAll(List.of("--work-dir", dir.resolve("work").toString()));
      cmd.add(shape.masterUrl());
    }
    return cmd;
  }

  /**
   * Spark binds to {@code SPARK_LOCAL_IP} (else every interface); a worker's executors find Spark
   * in its {@code SPARK_HOME}.
   */
  @Override
  public ManagedProcess start(boolean detach) {
    Map<String, String> env =
        role == Role.MASTER
            ? Map.of("SPARK_LOCAL_IP", "127.0.0.1")
            : Map.of(
                "SPARK_LOCAL_IP", "127.0.0.1",
                "SPARK_HOME", sparkHome().toString(),
                "SPARK_SCALA_VERSION", "2.12");
    return ManagedProcess.start(command(), env, dir, logFile(), detach);
  }

  /** The master: its JSON says ALIVE. A worker: its JSON names the master it registered with. */
  @Override
  public boolean healthy() {
    return Probe.answers(
        URI.create("http://127.0.0.1:" + port() + "/json/"),
        role == Role.MASTER ? "\"ALIVE\"" : shape.masterUrl());
  }
}
