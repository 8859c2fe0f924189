package dev.channelanalytics.testing;

import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.testing.oracle.NewUserOracle;
import java.util.Iterator;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes simulator traffic to the two input topics in arrival order and feeds the same records,
 * in the same order, to the reference model, so that a test knows exactly what to expect.
 */
public final class SimulatedTraffic {
  private SimulatedTraffic() {}

  /**
   * Sends every record and waits until the broker has acknowledged all of them.
   *
   * @return the number of records sent
   */
  public static long publish(
      String bootstrapServers,
      String rawTopic,
      String configTopic,
      Iterator<SimulatedRecord> traffic,
      NewUserOracle oracle) {
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    long sent = 0;
    Future<RecordMetadata> last = null;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      while (traffic.hasNext()) {
        SimulatedRecord r = traffic.next();
        if (r.destination() == SimulatedRecord.Destination.PRODUCT_CONFIG) {
          oracle.mapping(ProductMapping.fromKafka(r.key(), r.value()));
          last = producer.send(new ProducerRecord<>(configTopic, r.key(), r.value()));
        } else {
          oracle.envelope(r.value());
          last = producer.send(new ProducerRecord<>(rawTopic, r.key(), r.value()));
        }
        sent++;
      }
      producer.flush();
      if (last != null) {
        last.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("publishing simulated traffic failed", e.getCause());
    }
    return sent;
  }
}
