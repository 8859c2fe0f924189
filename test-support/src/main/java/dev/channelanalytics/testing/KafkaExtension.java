package dev.channelanalytics.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class a real Kafka broker, started once per test run.
 *
 * <pre>{@code @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();}</pre>
 */
public final class KafkaExtension implements BeforeAllCallback {
  private EmbeddedKafka kafka;

  @Override
  public void beforeAll(ExtensionContext context) {
    kafka = EmbeddedServicesExtension.shared(context, EmbeddedKafka.class, EmbeddedKafka::start);
  }

  public EmbeddedKafka kafka() {
    if (kafka == null) {
      throw new IllegalStateException("register KafkaExtension as a static field");
    }
    return kafka;
  }

  public String bootstrapServers() {
    return kafka().bootstrapServers();
  }
}
