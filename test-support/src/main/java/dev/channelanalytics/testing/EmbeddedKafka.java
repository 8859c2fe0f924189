package dev.channelanalytics.testing;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.KafkaBroker;
import dev.channelanalytics.local.KafkaTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real KRaft Kafka broker for tests: its own JVM on free ports with state in a temp directory, or
 * an outside broker named by the system property {@value #EXTERNAL_PROPERTY}.
 */
public final class EmbeddedKafka implements AutoCloseable {
  public static final String EXTERNAL_PROPERTY = "channel.test.kafka.bootstrap-servers";

  private final String bootstrapServers;

  /** The broker child, or null for an outside broker. */
  private final EmbeddedServer server;

  /** How an admin reaches the broker (topics, users). */
  private final KafkaConnection admin;

  /** The pipeline's SCRAM user and password on a secured broker, else null. */
  private final String[] user;

  /** The CA the secured broker's certificate chains to, else null. */
  private final Path caPem;

  private EmbeddedKafka(String bootstrapServers, EmbeddedServer server) {
    this(bootstrapServers, server, KafkaConnection.plaintext(bootstrapServers), null, null);
  }

  private EmbeddedKafka(
      String bootstrapServers,
      EmbeddedServer server,
      KafkaConnection admin,
      String[] user,
      Path caPem) {
    this.bootstrapServers = bootstrapServers;
    this.server = server;
    this.admin = admin;
    this.user = user;
    this.caPem = caPem;
  }

  /**
   * A broker of the test's own as in production: only SASL_SSL with {@code certificates}' server
   * certificate, and a SCRAM-SHA-512 user {@code pipeline} with a random password for the system's
   * clients ({@link #configure}).
   */
  public static EmbeddedKafka startSecured(TestCertificates certificates) {
    Path dir = EmbeddedServer.newStateDir("channel-kafka-secured-");
    KafkaBroker broker =
        new KafkaBroker(
            new KafkaBroker.Settings(
                FreePorts.next(),
                FreePorts.next(),
                "384m",
                dir,
                java.time.Duration.ofMinutes(15),
                new KafkaBroker.Security(
                    certificates.serverP12(),
                    certificates.serverP12Password(),
                    certificates.caPem(),
                    "admin",
                    "admin-" + java.util.UUID.randomUUID())),
            Distributions.ofThisBuild());
    EmbeddedServer server =
        EmbeddedServer.start(
            "Kafka (SASL_SSL)", broker, dir, Duration.ofMinutes(2), Duration.ofSeconds(20));
    String[] user = {"pipeline", "pipeline-" + java.util.UUID.randomUUID()};
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(broker.clientConnection().properties())) {
      admin
          .alterUserScramCredentials(
              List.of(
                  new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(
                      user[0],
                      new org.apache.kafka.clients.admin.ScramCredentialInfo(
                          org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192),
                      user[1])))
          .all()
          .get(1, java.util.concurrent.TimeUnit.MINUTES);
    } catch (Exception e) {
      server.close();
      throw new IllegalStateException("cannot create the SCRAM user", e);
    }
    return new EmbeddedKafka(
        broker.bootstrapServers(), server, broker.clientConnection(), user, certificates.caPem());
  }

  /**
   * {@code config} pointed at this broker: its address and, when secured, SASL_SSL with the
   * pipeline's SCRAM user and the CA.
   */
  public ChannelConfig configure(ChannelConfig config) {
    ChannelConfig c = config.with(Setting.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers);
    if (user == null) {
      return c;
    }
    return c.with(Setting.KAFKA_SECURITY_PROTOCOL, "SASL_SSL")
        .with(Setting.KAFKA_SASL_MECHANISM, "SCRAM-SHA-512")
        .with(Setting.KAFKA_SASL_USERNAME, user[0])
        .with(Setting.KAFKA_SASL_PASSWORD, user[1])
        .with(Setting.KAFKA_SSL_TRUSTSTORE, caPem.toString());
  }

  /** How the test's own clients reach the broker (as its admin when secured). */
  public KafkaConnection connection() {
    return admin;
  }

  /** Starts a broker, or connects to the outside one when the system property is set. */
  public static EmbeddedKafka start() {
    var outside = EmbeddedServer.outside(EXTERNAL_PROPERTY);
    if (outside.isPresent()) {
      return new EmbeddedKafka(outside.get(), null);
    }
    return startOwn();
  }

  /** Starts a broker of the caller's own, never an outside one: for a test that stops it. */
  public static EmbeddedKafka startOwn() {
    Path dir = EmbeddedServer.newStateDir("channel-kafka-");
    KafkaBroker broker =
        new KafkaBroker(
            new KafkaBroker.Settings(
                FreePorts.next(), FreePorts.next(), "384m", dir, java.time.Duration.ofMinutes(15)),
            Distributions.ofThisBuild());
    return new EmbeddedKafka(
        broker.bootstrapServers(),
        EmbeddedServer.start("Kafka", broker, dir, Duration.ofMinutes(2), Duration.ofSeconds(20)));
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Creates a topic and returns once the broker reports a leader for every partition. */
  public void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  public void createTopic(String name, int partitions, Map<String, String> configs) {
    KafkaTopics.ensure(
        admin,
        List.of(new KafkaTopics.TopicSpec(name, partitions, (short) 1, configs)),
        Duration.ofMinutes(1));
  }

  /** A real fault: stops the broker's process (its log and topics stay for {@link #restart}). */
  public void stopBroker() {
    own().stopProcess();
  }

  /** Starts the stopped broker again on the same port and state; returns once it answers. */
  public void restart() {
    own().restartProcess();
  }

  private EmbeddedServer own() {
    if (server == null) {
      throw new IllegalStateException("an outside broker is not this test's to stop");
    }
    return server;
  }

  /** Stops the broker and deletes its state; safe to call twice; a no-op for an outside broker. */
  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
