package dev.channelanalytics.testing;

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

  private EmbeddedKafka(String bootstrapServers, EmbeddedServer server) {
    this.bootstrapServers = bootstrapServers;
    this.server = server;
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
        bootstrapServers,
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
