package dev.channelanalytics.testing;

import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulatedRecord;
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
    return publish(bootstrapServers, rawTopic, configTopic, traffic, oracle, false);
  }

  /**
   * Sends every record like {@link #publish(String, String, String, Iterator, NewUserOracle)}; with
   * {@code stampWithReceiveTime}, each envelope's Kafka timestamp is its {@code recv_ts} (so
   * simulated hours become archive hours, duplicates keeping their old stamp) and each other record
   * is stamped with the latest receive time sent before it.
   */
  public static long publish(
      String bootstrapServers,
      String rawTopic,
      String configTopic,
      Iterator<SimulatedRecord> traffic,
      NewUserOracle oracle,
      boolean stampWithReceiveTime) {
    return publish(
        dev.channelanalytics.common.kafka.KafkaConnection.plaintext(bootstrapServers),
        rawTopic,
        configTopic,
        traffic,
        oracle,
        stampWithReceiveTime);
  }

  /**
   * As {@link #publish(String, String, String, Iterator, NewUserOracle, boolean)}, via {@code
   * kafka}.
   */
  public static long publish(
      dev.channelanalytics.common.kafka.KafkaConnection kafka,
      String rawTopic,
      String configTopic,
      Iterator<SimulatedRecord> traffic,
      NewUserOracle oracle,
      boolean stampWithReceiveTime) {
    Properties p = kafka.properties();
    p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    long sent = 0;
    Long clock = null;
    Future<RecordMetadata> last = null;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      // Mappings sent before the first envelope wait for its stamp, so none is stamped later.
      java.util.List<SimulatedRecord> unstamped = new java.util.ArrayList<>();
      while (traffic.hasNext()) {
        SimulatedRecord r = traffic.next();
        Long stamp = null;
        if (stampWithReceiveTime) {
          Long recvTs = r.isMapping() ? null : receiveTime(r.value());
          if (recvTs != null) {
            clock = clock == null ? recvTs : Math.max(clock, recvTs);
            for (SimulatedRecord m : unstamped) {
              producer.send(new ProducerRecord<>(configTopic, null, clock, m.key(), m.value()));
            }
            unstamped.clear();
          }
          stamp = recvTs != null ? recvTs : clock;
        }
        if (r.destination() == SimulatedRecord.Destination.PRODUCT_CONFIG) {
          try {
            oracle.mapping(ProductMapping.fromKafka(r.key(), r.value()));
          } catch (IllegalArgumentException invalid) {
            // An invalid mapping changes nothing, for the parser as for the model (section 5).
          }
          if (stampWithReceiveTime && stamp == null) {
            unstamped.add(r);
          } else {
            last =
                producer.send(new ProducerRecord<>(configTopic, null, stamp, r.key(), r.value()));
          }
        } else {
          oracle.envelope(r.value());
          last = producer.send(new ProducerRecord<>(rawTopic, null, stamp, r.key(), r.value()));
        }
        sent++;
      }
      for (SimulatedRecord m : unstamped) {
        last = producer.send(new ProducerRecord<>(configTopic, m.key(), m.value()));
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

  private static final java.util.regex.Pattern RECV_TS =
      java.util.regex.Pattern.compile("\"recv_ts\"\\s*:\\s*(\\d{1,15})");

  /** The envelope's receive time when it has a readable one (rejects may not). */
  private static Long receiveTime(byte[] envelope) {
    var m = RECV_TS.matcher(new String(envelope, java.nio.charset.StandardCharsets.UTF_8));
    return m.find() ? Long.valueOf(m.group(1)) : null;
  }
}
