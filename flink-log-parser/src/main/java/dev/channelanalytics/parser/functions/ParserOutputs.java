package dev.channelanalytics.parser.functions;

import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.UnmappedEnvelope;
import org.apache.flink.util.OutputTag;

/** The side outputs of the parser's functions. */
public final class ParserOutputs {
  /** Rejects of every reason, encoded as {@code dead-letters} records. */
  public static final OutputTag<KafkaPayload> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

  /** Batches whose app key had no mapping yet, on their way to the hold. */
  public static final OutputTag<UnmappedEnvelope> UNMAPPED = new OutputTag<>("unmapped") {};

  private ParserOutputs() {}
}
