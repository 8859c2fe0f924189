package dev.channelanalytics.parser.functions;

import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.KeyringSource;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.contract.RejectedEnvelope;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.records.RecordOrigin;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.RawEnvelope;
import dev.channelanalytics.parser.records.UnmappedEnvelope;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes each envelope with the contract's decoder and enriches it with its product from the
 * broadcast mappings.
 *
 * <p>A mapped batch leaves as a {@code parsed-events} record on the main output, chained straight
 * to its sink, which is the path nearly all traffic takes. Rejected envelopes and events go to
 * {@link ParserOutputs#DEAD_LETTERS} at once; batches whose app key is not mapped (yet) go to
 * {@link ParserOutputs#UNMAPPED} for the hold. Mapping updates and removals apply from the moment
 * they arrive.
 */
public class EnvelopeParser
    extends BroadcastProcessFunction<RawEnvelope, ProductMapping, KafkaPayload> {
  /** Decode time is sampled, one envelope in this many, to keep the clock off the hot path. */
  private static final int DECODE_TIME_SAMPLE = 64;

  private final KeyringSource keyring;

  private transient EnvelopeDecoder decoder;
  private transient Counter envelopesIn;
  private transient Counter batchesParsed;
  private transient Counter eventsOut;
  private transient Counter batchesToHold;
  private transient RejectCounters rejects;
  private transient Histogram decodeNanos;
  private transient long seen;

  public EnvelopeParser(Keyring keyring) {
    this(KeyringSource.of(keyring));
  }

  /** A parser whose workers read the keyring from {@code keyring} when they open. */
  public EnvelopeParser(KeyringSource keyring) {
    this.keyring = keyring;
  }

  @Override
  public void open(OpenContext openContext) {
    decoder = new EnvelopeDecoder(keyring.load());
    var metrics = getRuntimeContext().getMetricGroup();
    envelopesIn = metrics.counter("envelopesIn");
    batchesParsed = metrics.counter("batchesParsed");
    eventsOut = metrics.counter("eventsOut");
    batchesToHold = metrics.counter("batchesToHold");
    rejects = new RejectCounters(metrics);
    decodeNanos = metrics.histogram("decodeNanos", new DescriptiveStatisticsHistogram(1000));
  }

  @Override
  public void processElement(RawEnvelope raw, ReadOnlyContext ctx, Collector<KafkaPayload> out)
      throws Exception {
    envelopesIn.inc();
    DecodeResult result;
    if ((++seen & (DECODE_TIME_SAMPLE - 1)) == 0) {
      long start = System.nanoTime();
      result = decoder.decode(raw.value());
      decodeNanos.update(System.nanoTime() - start);
    } else {
      result = decoder.decode(raw.value());
    }
    RecordOrigin origin = raw.origin();
    if (result instanceof RejectedEnvelope rejected) {
      reject(
          ctx,
          DeadLetter.ofEnvelope(rejected.reason(), rejected.detail(), origin, raw.value(), null));
      return;
    }
    DecodedBatch batch = (DecodedBatch) result;
    if (!batch.rejectedEvents().isEmpty()) {
      reject(ctx, DeadLetter.ofEvents(origin, raw.value(), batch.appKey(), batch.rejectedEvents()));
    }
    String product = ctx.getBroadcastState(ProductMappingState.DESCRIPTOR).get(batch.appKey());
    if (product == null) {
      batchesToHold.inc();
      ctx.output(ParserOutputs.UNMAPPED, new UnmappedEnvelope(batch.appKey(), raw, 0L));
      return;
    }
    if (!batch.events().isEmpty()) {
      ParsedBatch parsed = ParsedBatch.of(batch, product, origin);
      batchesParsed.inc();
      eventsOut.inc(parsed.events().size());
      out.collect(encode(parsed));
    }
  }

  private void reject(ReadOnlyContext ctx, DeadLetter letter) {
    rejects.inc(letter.reason(), letter.rejects());
    ctx.output(ParserOutputs.DEAD_LETTERS, new KafkaPayload(letter.kafkaKey(), letter.toJson()));
  }

  @Override
  public void processBroadcastElement(
      ProductMapping mapping, Context ctx, Collector<KafkaPayload> out) throws Exception {
    if (mapping.isDeletion()) {
      ctx.getBroadcastState(ProductMappingState.DESCRIPTOR).remove(mapping.appKey());
    } else {
      ctx.getBroadcastState(ProductMappingState.DESCRIPTOR)
          .put(mapping.appKey(), mapping.productId());
    }
  }

  static KafkaPayload encode(ParsedBatch parsed) {
    return new KafkaPayload(parsed.kafkaKey(), parsed.toJson());
  }

  /** For the hold: a reject for an envelope whose app key never got its mapping. */
  static KafkaPayload unknownAppKey(UnmappedEnvelope held, long heldMillis) {
    return unknownAppKey(held, "no product mapping for the app key after " + heldMillis + " ms");
  }

  /** An {@code unknown_app_key} dead letter of a batch, with why it was not held longer. */
  static KafkaPayload unknownAppKey(UnmappedEnvelope held, String detail) {
    DeadLetter letter =
        DeadLetter.ofEnvelope(
            RejectReason.UNKNOWN_APP_KEY,
            detail,
            held.raw().origin(),
            held.raw().value(),
            held.appKey());
    return new KafkaPayload(letter.kafkaKey(), letter.toJson());
  }
}
