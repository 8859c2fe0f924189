package dev.channelanalytics.cli;

import dev.channelanalytics.common.kafka.ReliableProducer;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes records to Kafka without loss or duplicates from retries (idempotent producer,
 * acks=all), counting successes and failures on a progress line.
 */
final class KafkaPublisher implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final ProgressLine progress;
  private final AtomicReference<Exception> firstError = new AtomicReference<>();

  KafkaPublisher(dev.channelanalytics.common.kafka.KafkaConnection kafka, ProgressLine progress) {
    Properties p = ReliableProducer.properties(kafka);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.progress = progress;
  }

  void send(String topic, byte[] key, byte[] value) {
    send(topic, key, value, true);
  }

  /**
   * Sends one record.
   *
   * @param counted whether an acknowledgement advances the progress line (side records such as the
   *     simulator's mappings do not)
   */
  void send(String topic, byte[] key, byte[] value, boolean counted) {
    send(new ProducerRecord<>(topic, key, value), counted);
  }

  /** Sends one record as it is (headers included), counted on the progress line. */
  void send(ProducerRecord<byte[], byte[]> record, boolean counted) {
    producer.send(
        record,
        (metadata, e) -> {
          if (e == null) {
            progress.done(counted ? 1 : 0);
          } else {
            progress.error();
            firstError.compareAndSet(null, e);
          }
        });
    progress.maybePrint();
  }

  /** Waits until every record sent so far is acknowledged or failed. */
  void flush() {
    producer.flush();
  }

  /** The first delivery failure, if any, after {@link #flush()}. */
  Exception firstError() {
    return firstError.get();
  }

  @Override
  public void close() {
    producer.close();
  }
}
