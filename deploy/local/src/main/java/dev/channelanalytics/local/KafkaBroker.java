package dev.channelanalytics.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * A single-node Kafka broker in KRaft mode (combined broker and controller) in its own JVM.
 *
 * <p>Its own JVM keeps Kafka's Scala classes off the Flink and Spark classpaths, and lets the local
 * stack outlive the command that started it.
 */
public final class KafkaBroker implements StackService {
  /** Where the broker listens, how big it is and where it keeps its state. */
  public record Settings(
      int port,
      int controllerPort,
      String heap,
      Path dir,
      java.time.Duration maxTransactionTimeout) {}

  private final Settings settings;
  private final String classpath;

  public KafkaBroker(Settings settings, Distributions distributions) {
    this.settings = settings;
    this.classpath = distributions.kafkaBrokerClasspath();
  }

  public String bootstrapServers() {
    return "localhost:" + settings.port();
  }

  @Override
  public String name() {
    return "kafka";
  }

  @Override
  public int port() {
    return settings.port();
  }

  @Override
  public Path logFile() {
    return settings.dir().resolve("broker.log");
  }

  /** Writes the configuration and formats the storage once; later calls keep the data. */
  @Override
  public void prepare() {
    Path dir = settings.dir();
    Path data = dir.resolve("data");
    try {
      Files.createDirectories(data);
      Properties p = new Properties();
      p.setProperty("process.roles", "broker,controller");
      p.setProperty("node.id", "1");
      p.setProperty("controller.quorum.voters", "1@localhost:" + settings.controllerPort());
      p.setProperty(
          "listeners",
          "PLAINTEXT://localhost:"
              + settings.port()
              + ",CONTROLLER://localhost:"
              + settings.controllerPort());
      p.setProperty("advertised.listeners", "PLAINTEXT://localhost:" + settings.port());
      p.setProperty("controller.listener.names", "CONTROLLER");
      p.setProperty("inter.broker.listener.name", "PLAINTEXT");
      p.setProperty("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
      p.setProperty("log.dirs", data.toString());
      p.setProperty("num.partitions", "1");
      p.setProperty("auto.create.topics.enable", "false");
      p.setProperty("offsets.topic.replication.factor", "1");
      p.setProperty("offsets.topic.num.partitions", "4");
      p.setProperty("transaction.state.log.replication.factor", "1");
      p.setProperty("transaction.state.log.min.isr", "1");
      p.setProperty("transaction.state.log.num.partitions", "4");
      // The broker's maximum; exactly-once sinks must keep their transaction timeout below it.
      p.setProperty(
          "transaction.max.timeout.ms", Long.toString(settings.maxTransactionTimeout().toMillis()));
      p.setProperty("group.initial.rebalance.delay.ms", "0");
      p.setProperty("log.retention.hours", "168");
      try (var out = Files.newBufferedWriter(dir.resolve("server.properties"))) {
        p.store(out, "written by the channel local stack");
      }
      Files.writeString(
          dir.resolve("log4j.properties"),
          String.join(
              "\n",
              "log4j.rootLogger=INFO, stdout",
              "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
              "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
              "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
              "log4j.logger.kafka=INFO",
              "log4j.logger.org.apache.kafka=INFO",
              "log4j.logger.state.change.logger=WARN",
              ""));
      if (!Files.exists(data.resolve("meta.properties"))) {
        format(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void format(Path dir) throws IOException {
    List<String> cmd =
        List.of(
            javaBinary(),
            "-Xmx256m",
            "-cp",
            classpath,
            "-Dlog4j.configuration=file:" + dir.resolve("log4j.properties"),
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            "-t",
            clusterId(),
            "-c",
            dir.resolve("server.properties").toString());
    Process p =
        withoutSecrets(new ProcessBuilder(cmd))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
            .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("formatting Kafka storage failed; see " + logFile());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The command line of the broker JVM. */
  public List<String> command() {
    Path dir = settings.dir();
    return List.of(
        javaBinary(),
        "-Xms" + settings.heap(),
        "-Xmx" + settings.heap(),
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        "-Dlog4j.configuration=file:" + dir.resolve("log4j.properties"),
        "-Dkafka.logs.dir=" + dir,
        "-cp",
        classpath,
        "kafka.Kafka",
        dir.resolve("server.properties").toString());
  }

  /** Starts the broker JVM; call {@link #prepare()} first. */
  @Override
  public ManagedProcess start(boolean detach) {
    return ManagedProcess.start(command(), Map.of(), settings.dir(), logFile(), detach);
  }

  /** True when the broker answers a metadata request. */
  @Override
  public boolean healthy() {
    Properties p = new Properties();
    p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    p.setProperty("socket.connection.setup.timeout.ms", "1000");
    p.setProperty("socket.connection.setup.timeout.max.ms", "1000");
    p.setProperty("retry.backoff.max.ms", "200");
    try (Admin admin = Admin.create(p)) {
      return !admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(3000))
          .nodes()
          .get(4, TimeUnit.SECONDS)
          .isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  public void awaitHealthy(Duration timeout) {
    Poll.until("Kafka broker on " + bootstrapServers(), timeout, this::healthy);
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, never starting with
   * {@code -}: the storage tool would read such an id as an option (1 start in 64 failed so).
   */
  static String clusterId() {
    while (true) {
      UUID u = UUID.randomUUID();
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
      b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
      String id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
      if (!id.startsWith("-")) {
        return id;
      }
    }
  }

  /** Other users of the machine can read a process's environment: no secret goes there. */
  private static ProcessBuilder withoutSecrets(ProcessBuilder pb) {
    dev.channelanalytics.common.config.ChannelConfig.removeSecrets(pb.environment());
    return pb;
  }
}
