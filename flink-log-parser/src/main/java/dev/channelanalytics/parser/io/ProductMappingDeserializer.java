package dev.channelanalytics.parser.io;

import dev.channelanalytics.common.contract.ProductMapping;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code product-config} records; a record that is not a valid mapping is skipped with a
 * warning naming its offset and the reason, and counted in {@code invalidMappings}.
 */
public class ProductMappingDeserializer
    implements KafkaRecordDeserializationSchema<ProductMapping> {
  private static final Logger LOG = LoggerFactory.getLogger(ProductMappingDeserializer.class);

  private transient Counter invalid;

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    invalid = context.getMetricGroup().counter("invalidMappings");
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ProductMapping> out) {
    try {
      out.collect(ProductMapping.fromKafka(record.key(), record.value()));
    } catch (IllegalArgumentException e) {
      if (invalid != null) {
        invalid.inc();
      }
      LOG.warn(
          "Skipping invalid product mapping at {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
    }
  }

  @Override
  public TypeInformation<ProductMapping> getProducedType() {
    return TypeInformation.of(ProductMapping.class);
  }
}
