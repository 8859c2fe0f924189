package dev.channelanalytics.parser.io;

import dev.channelanalytics.common.kafka.ReplayHeaders;
import dev.channelanalytics.parser.records.RawEnvelope;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Keeps a {@code raw-logs} record as it is: decoding belongs to the parser, which never throws.
 * Counts the records a replay republished ({@link ReplayHeaders}) apart from live traffic, in the
 * metric {@link ReplayHeaders#PARSER_METRIC}, so an operator sees how much of what the parser reads
 * is a replay.
 */
public class RawEnvelopeDeserializer implements KafkaRecordDeserializationSchema<RawEnvelope> {
  private transient Counter replayed;

  @Override
  public void open(DeserializationSchema.InitializationContext context) {
    replayed = context.getMetricGroup().counter(ReplayHeaders.PARSER_METRIC);
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawEnvelope> out) {
    if (replayed != null && record.headers().lastHeader(ReplayHeaders.REPLAY) != null) {
      replayed.inc();
    }
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
