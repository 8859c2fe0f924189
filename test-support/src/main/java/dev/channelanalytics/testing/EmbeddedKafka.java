package dev.channelanalytics.testing;

import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.KafkaBroker;
import dev.channelanalytics.local.KafkaTopics;
import dev.channelanalytics.local.ManagedProcess;
import java.nio.file.Files;
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
  private final ManagedProcess process;
  private final Path dir;

  private EmbeddedKafka(String bootstrapServers, ManagedProcess process, Path dir) {
    this.bootstrapServers = bootstrapServers;
    this.process = process;
    this.dir = dir;
  }

  /** Starts a broker, or connects to the outside one when the system property is set. */
  public static EmbeddedKafka start() {
    String external = System.getProperty(EXTERNAL_PROPERTY);
    if (external != null && !external.isBlank()) {
      return new EmbeddedKafka(external, null, null);
    }
    try {
      Path dir = Files.createTempDirectory("channel-kafka-");
      KafkaBroker broker =
          new KafkaBroker(
              new KafkaBroker.Settings(FreePorts.next(), FreePorts.next(), "384m", dir),
              Distributions.ofThisBuild());
      broker.prepare();
      ManagedProcess process = broker.start(false);
      EmbeddedKafka kafka = new EmbeddedKafka(broker.bootstrapServers(), process, dir);
      // Stops the child even when the test JVM exits without closing it.
      Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "stop-kafka"));
      try {
        broker.awaitHealthy(Duration.ofMinutes(2));
      } catch (RuntimeException e) {
        kafka.close();
        throw new IllegalStateException("Kafka did not start; log: " + broker.logFile(), e);
      }
      return kafka;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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

  /** Stops the broker and deletes its state; safe to call twice; a no-op for an outside broker. */
  @Override
  public synchronized void close() {
    if (process != null && process.alive()) {
      process.stop(Duration.ofSeconds(20));
    }
    TempDirs.deleteQuietly(dir);
  }
}
