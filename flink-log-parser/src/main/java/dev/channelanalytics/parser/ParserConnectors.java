package dev.channelanalytics.parser;

import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.parser.io.KafkaPayloadSerializer;
import dev.channelanalytics.parser.io.ProductMappingDeserializer;
import dev.channelanalytics.parser.io.RawEnvelopeDeserializer;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.RawEnvelope;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The sources and sinks of the parser job. The job takes them as parameters, so that a test or
 * another deployment can plug in others; {@link #kafka} gives the production ones.
 *
 * @param rawLogs envelopes
 * @param mappings product mappings, read from the beginning
 * @param parsedEvents the sink for batches parsed straight away (chained to the parser)
 * @param releasedEvents the sink for batches released from the hold
 * @param deadLetters the sink for rejects of every reason
 */
public record ParserConnectors(
    Source<RawEnvelope, ?, ?> rawLogs,
    Source<ProductMapping, ?, ?> mappings,
    Sink<KafkaPayload> parsedEvents,
    Sink<KafkaPayload> releasedEvents,
    Sink<KafkaPayload> deadLetters) {

  /** Kafka in and out; both outputs transactional, so downstream reads them read_committed. */
  public static ParserConnectors kafka(ParserSettings settings) {
    KafkaSource<RawEnvelope> raw =
        KafkaSource.<RawEnvelope>builder()
            .setProperties(settings.kafka().properties())
            .setBootstrapServers(settings.kafka().bootstrapServers())
            .setTopics(settings.topics().rawLogs())
            .setGroupId(settings.groupId())
            // The checkpoint is the truth; the group's offsets are a fallback for a fresh start
            // and what lag monitoring reads.
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setDeserializer(new RawEnvelopeDeserializer())
            .setProperty("isolation.level", "read_committed")
            .setProperty("commit.offsets.on.checkpoint", "true")
            .setProperty("partition.discovery.interval.ms", "60000")
            .build();
    // Mappings are state: always read from the beginning of the compacted topic (or restored
    // from the checkpoint together with the broadcast state built from them).
    KafkaSource<ProductMapping> mappings =
        KafkaSource.<ProductMapping>builder()
            .setProperties(settings.kafka().properties())
            .setBootstrapServers(settings.kafka().bootstrapServers())
            .setTopics(settings.topics().productConfig())
            .setGroupId(settings.groupId() + "-mappings")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new ProductMappingDeserializer())
            .setProperty("isolation.level", "read_committed")
            .setProperty("commit.offsets.on.checkpoint", "false")
            .build();
    return new ParserConnectors(
        raw,
        mappings,
        sink(settings, settings.topics().parsedEvents(), "parsed"),
        sink(settings, settings.topics().parsedEvents(), "released"),
        sink(settings, settings.topics().deadLetters(), "dead-letters"));
  }

  private static KafkaSink<KafkaPayload> sink(ParserSettings settings, String topic, String role) {
    // The connection's settings first: the builder replaces its whole producer configuration.
    return KafkaSink.<KafkaPayload>builder()
        .setKafkaProducerConfig(settings.kafka().properties())
        .setBootstrapServers(settings.kafka().bootstrapServers())
        .setRecordSerializer(new KafkaPayloadSerializer(topic))
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(settings.transactionalIdPrefix() + "-" + role)
        .setProperty(
            "transaction.timeout.ms", Long.toString(settings.transactionTimeout().toMillis()))
        .setProperty("compression.type", "lz4")
        // Fuller batches: at 5 ms a batch held a few records per partition, and each cost a new
        // LZ4 stream and a broker request; 50 ms gave 56-57 thousand envelopes/s against 40 and
        // halved the broker's CPU (bench/results/parser-linger-*), for at most 50 ms on an output
        // that waits for its checkpoint (1 s) anyway.
        .setProperty("linger.ms", Long.toString(settings.sinkLinger().toMillis()))
        .setProperty("batch.size", "262144")
        // The sink makes a transactional producer per checkpoint; forwarding each one's hundred
        // or so client metrics to Flink re-registered them every second on the task thread, with
        // the Prometheus reporter about a fifth of the parser's throughput. No dashboard or rule
        // reads them; the writer's own metrics stay.
        .setProperty("register.producer.metrics", "false")
        .build();
  }
}
