package dev.channelanalytics.local;

import dev.channelanalytics.common.kafka.KafkaConnection;
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
  /**
   * Where the broker listens, how big it is and where it keeps its state.
   *
   * @param security TLS and SASL on the client listener, or null for plain text (the local stack)
   */
  public record Settings(
      int port,
      int controllerPort,
      String heap,
      Path dir,
      java.time.Duration maxTransactionTimeout,
      Security security) {
    /** A plain-text broker. */
    public Settings(
        int port, int controllerPort, String heap, Path dir, java.time.Duration maxTxTimeout) {
      this(port, controllerPort, heap, dir, maxTxTimeout, null);
    }
  }

  /**
   * A broker reached only over TLS with SASL, as in production: clients authenticate with
   * SCRAM-SHA-512 (users created through the Admin API, {@link #clientConnection} as the admin) or
   * PLAIN; the broker talks to itself as the admin over PLAIN, whose only user is in its own
   * configuration, so no credential is ever put on a command line.
   *
   * @param keystore the broker's key and certificate chain, PKCS12
   * @param keystorePassword its password
   * @param caPem the CA that signed it, PEM (what the broker and its clients trust)
   * @param adminUser the admin's user name
   * @param adminPassword the admin's password
   */
  public record Security(
      Path keystore, String keystorePassword, Path caPem, String adminUser, String adminPassword) {
    @Override
    public String toString() {
      return "Security[" + keystore + ", admin " + adminUser + "]";
    }
  }

  /**
   * One broker of a KRaft cluster whose every node is both broker and controller: the internal
   * topics (consumer offsets, transaction state) are replicated on up to three of them, with one
   * replica fewer in sync required, as {@code min.insync.replicas} is for the contract's topics.
   *
   * @param nodeId this broker's node id, 1 to the cluster's size
   * @param controllerPorts every node's controller port, node id {@code i+1} at index {@code i}
   * @param clusterIdFile where the id every node's storage is formatted with is kept (made by the
   *     first node formatted)
   */
  public record Member(int nodeId, List<Integer> controllerPorts, Path clusterIdFile) {
    int size() {
      return controllerPorts.size();
    }

    String clusterId() throws IOException {
      if (!Files.exists(clusterIdFile)) {
        Files.createDirectories(clusterIdFile.getParent());
        Files.writeString(clusterIdFile, KafkaBroker.clusterId());
      }
      return Files.readString(clusterIdFile).trim();
    }
  }

  private final Settings settings;
  private final Member member;
  private final String classpath;

  public KafkaBroker(Settings settings, Distributions distributions) {
    this(settings, null, distributions);
  }

  /** A broker of a cluster ({@code member}), or a single node when it is null. */
  public KafkaBroker(Settings settings, Member member, Distributions distributions) {
    this.settings = settings;
    this.member = member;
    this.classpath = distributions.kafkaBrokerClasspath();
  }

  public String bootstrapServers() {
    return "localhost:" + settings.port();
  }

  @Override
  public String name() {
    return member == null ? "kafka" : "kafka-" + member.nodeId();
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
      p.setProperty("node.id", member == null ? "1" : Integer.toString(member.nodeId()));
      p.setProperty("controller.quorum.voters", quorumVoters());
      String client = settings.security() == null ? "PLAINTEXT" : "SASL_SSL";
      p.setProperty(
          "listeners",
          client
              + "://localhost:"
              + settings.port()
              + ",CONTROLLER://localhost:"
              + settings.controllerPort());
      p.setProperty("advertised.listeners", client + "://localhost:" + settings.port());
      p.setProperty("controller.listener.names", "CONTROLLER");
      p.setProperty("inter.broker.listener.name", client);
      p.setProperty(
          "listener.security.protocol.map", "CONTROLLER:PLAINTEXT," + client + ":" + client);
      if (settings.security() != null) {
        Security s = settings.security();
        p.setProperty("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
        p.setProperty("sasl.mechanism.inter.broker.protocol", "PLAIN");
        p.setProperty(
            "listener.name.sasl_ssl.plain.sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + s.adminUser()
                + "\" password=\""
                + s.adminPassword()
                + "\" user_"
                + s.adminUser()
                + "=\""
                + s.adminPassword()
                + "\";");
        p.setProperty(
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.setProperty("ssl.keystore.type", "PKCS12");
        p.setProperty("ssl.keystore.location", s.keystore().toString());
        p.setProperty("ssl.keystore.password", s.keystorePassword());
        p.setProperty("ssl.key.password", s.keystorePassword());
        p.setProperty("ssl.truststore.type", "PEM");
        p.setProperty("ssl.truststore.location", s.caPem().toString());
      }
      p.setProperty("log.dirs", data.toString());
      p.setProperty("num.partitions", "1");
      p.setProperty("auto.create.topics.enable", "false");
      int replicas = member == null ? 1 : Math.min(3, member.size());
      p.setProperty("offsets.topic.replication.factor", Integer.toString(replicas));
      p.setProperty("offsets.topic.num.partitions", "4");
      p.setProperty("transaction.state.log.replication.factor", Integer.toString(replicas));
      p.setProperty("transaction.state.log.min.isr", Integer.toString(Math.max(1, replicas - 1)));
      if (member != null) {
        // A broker that comes back catches up before it leads again.
        p.setProperty("min.insync.replicas", Integer.toString(Math.max(1, replicas - 1)));
        p.setProperty("default.replication.factor", Integer.toString(replicas));
      }
      p.setProperty("transaction.state.log.num.partitions", "4");
      // The broker's maximum; exactly-once sinks must keep their transaction timeout below it.
      p.setProperty(
          "transaction.max.timeout.ms", Long.toString(settings.maxTransactionTimeout().toMillis()));
      p.setProperty("group.initial.rebalance.delay.ms", "0");
      p.setProperty("log.retention.hours", "168");
      // Owner-only: with security it holds the broker's passwords.
      java.io.StringWriter text = new java.io.StringWriter();
      p.store(text, "written by the channel local stack");
      dev.channelanalytics.common.security.SecretFiles.write(
          dir.resolve("server.properties"),
          text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
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
            member == null ? clusterId() : member.clusterId(),
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

  private String quorumVoters() {
    if (member == null) {
      return "1@localhost:" + settings.controllerPort();
    }
    List<String> voters = new java.util.ArrayList<>();
    for (int i = 0; i < member.size(); i++) {
      voters.add((i + 1) + "@localhost:" + member.controllerPorts().get(i));
    }
    return String.join(",", voters);
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

  /**
   * How an admin client reaches this broker: plain text, or with TLS and the admin's PLAIN login.
   */
  public KafkaConnection clientConnection() {
    Security s = settings.security();
    if (s == null) {
      return KafkaConnection.plaintext(bootstrapServers());
    }
    return KafkaConnection.of(
        bootstrapServers(),
        Map.of(
            "security.protocol", "SASL_SSL",
            "sasl.mechanism", "PLAIN",
            "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                    + s.adminUser()
                    + "\" password=\""
                    + s.adminPassword()
                    + "\";",
            "ssl.truststore.type", "PEM",
            "ssl.truststore.location", s.caPem().toString()));
  }

  /** True when the broker answers a metadata request. */
  @Override
  public boolean healthy() {
    Properties p = clientConnection().properties();
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
