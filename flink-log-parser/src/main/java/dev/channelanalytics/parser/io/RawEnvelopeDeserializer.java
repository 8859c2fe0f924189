package dev.channelanalytics.parser.io;

import dev.channelanalytics.parser.records.RawEnvelope;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps a {@code raw-logs} record as it is: decoding belongs to the parser, which never throws. */
public class RawEnvelopeDeserializer implements KafkaRecordDeserializationSchema<RawEnvelope> {
  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawEnvelope> out) {
    out.collect(
        new RawEnvelope(
            record.topic(),
            record.partition(),
            record.offset(),
            record.timestamp(),
            record.value()));
  }

  @Override
  public TypeInformation<RawEnvelope> getProducedType() {
    return TypeInformation.of(RawEnvelope.class);
  }
}
