package dev.channelanalytics.common.kafka;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The producer settings of the project's tools that republish to the contract's topics (ingest,
 * both replays): idempotent with {@code acks=all}, so a retried send neither loses nor duplicates a
 * record, batched a little and compressed.
 */
public final class ReliableProducer {
  private ReliableProducer() {}

  /** The settings for a producer on {@code kafka}; callers may add their own. */
  public static Properties properties(KafkaConnection kafka) {
    Properties p = kafka.properties();
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    return p;
  }
}
