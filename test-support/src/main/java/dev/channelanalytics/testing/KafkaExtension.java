package dev.channelanalytics.testing;

/**
 * Gives a test class a real Kafka broker, started once per test run.
 *
 * <pre>{@code @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();}</pre>
 */
public final class KafkaExtension extends EmbeddedServicesExtension<EmbeddedKafka> {
  public KafkaExtension() {
    super(EmbeddedKafka.class, EmbeddedKafka::start);
  }

  public EmbeddedKafka kafka() {
    return service();
  }

  public String bootstrapServers() {
    return kafka().bootstrapServers();
  }
}
