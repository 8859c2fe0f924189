package dev.channelanalytics.parser.records;

/**
 * A record ready for a Kafka sink: key and value already encoded.
 *
 * <p>The functions encode their output themselves, so everything that crosses the network or is
 * copied between operators is two byte arrays, never a generic (Kryo) type.
 */
public record KafkaPayload(byte[] key, byte[] value) {}
