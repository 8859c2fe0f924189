package dev.channelanalytics.parser.functions;

import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.parser.records.KafkaPayload;
import dev.channelanalytics.parser.records.UnmappedEnvelope;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Holds batches whose app key has no product mapping, keyed by app key, for at most the hold time
 * of processing time (contract section 5).
 *
 * <p>A mapping that arrives in time releases every batch held for its app key at once, enriched
 * with that mapping. A batch still unmapped at its deadline leaves as an {@code unknown_app_key}
 * dead letter. Each batch has its own deadline and timer; timers of released batches fire later and
 * find nothing, and the state of a key is cleared as soon as it holds no batch.
 */
public class UnmappedBatchHold
    extends KeyedBroadcastProcessFunction<String, UnmappedEnvelope, ProductMapping, KafkaPayload>
    implements CheckpointedFunction {

  static final ListStateDescriptor<UnmappedEnvelope> HELD =
      new ListStateDescriptor<>("held-batches", TypeInformation.of(UnmappedEnvelope.class));

  private final Keyring keyring;
  private final long holdMillis;

  private transient EnvelopeDecoder decoder;
  private transient ListState<UnmappedEnvelope> held;
  private transient Counter released;
  private transient RejectCounters rejects;

  /** Batches held by this subtask, kept in operator state so the gauge survives a restore. */
  private transient long heldCount;

  private transient ListState<Long> heldCountState;

  public UnmappedBatchHold(Keyring keyring, long holdMillis) {
    if (holdMillis < 0) {
      throw new IllegalArgumentException("hold time must not be negative: " + holdMillis);
    }
    this.keyring = keyring;
    this.holdMillis = holdMillis;
  }

  @Override
  public void open(OpenContext openContext) {
    decoder = new EnvelopeDecoder(keyring);
    held = getRuntimeContext().getListState(HELD);
    var metrics = getRuntimeContext().getMetricGroup();
    released = metrics.counter("batchesReleased");
    rejects = new RejectCounters(metrics);
    metrics.gauge("batchesHeld", () -> heldCount);
  }

  @Override
  public void processElement(
      UnmappedEnvelope batch, ReadOnlyContext ctx, Collector<KafkaPayload> out) throws Exception {
    String product = ctx.getBroadcastState(ProductMappingState.DESCRIPTOR).get(batch.appKey());
    if (product != null) {
      // The mapping reached this instance between the parser's look-up and now.
      release(batch, product, out);
      return;
    }
    long deadline = ctx.timerService().currentProcessingTime() + holdMillis;
    held.add(batch.withHoldUntil(deadline));
    heldCount++;
    ctx.timerService().registerProcessingTimeTimer(deadline);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaPayload> out)
      throws Exception {
    String product = ctx.getBroadcastState(ProductMappingState.DESCRIPTOR).get(ctx.getCurrentKey());
    List<UnmappedEnvelope> waiting = new ArrayList<>();
    for (UnmappedEnvelope batch : held.get()) {
      if (product != null) {
        release(batch, product, out);
        heldCount--;
      } else if (batch.holdUntil() <= timestamp) {
        rejects.inc(RejectReason.UNKNOWN_APP_KEY, 1);
        ctx.output(ParserOutputs.DEAD_LETTERS, EnvelopeParser.unknownAppKey(batch, holdMillis));
        heldCount--;
      } else {
        waiting.add(batch);
      }
    }
    if (waiting.isEmpty()) {
      held.clear();
    } else {
      held.update(waiting);
    }
  }

  @Override
  public void processBroadcastElement(
      ProductMapping mapping, Context ctx, Collector<KafkaPayload> out) throws Exception {
    if (mapping.isDeletion()) {
      ctx.getBroadcastState(ProductMappingState.DESCRIPTOR).remove(mapping.appKey());
      return;
    }
    ctx.getBroadcastState(ProductMappingState.DESCRIPTOR)
        .put(mapping.appKey(), mapping.productId());
    ctx.applyToKeyedState(
        HELD,
        (appKey, state) -> {
          if (appKey.equals(mapping.appKey())) {
            for (UnmappedEnvelope batch : state.get()) {
              release(batch, mapping.productId(), out);
              heldCount--;
            }
            state.clear();
          }
        });
  }

  private void release(UnmappedEnvelope batch, String product, Collector<KafkaPayload> out) {
    released.inc();
    // Decoding is deterministic: the envelope decoded to a batch before it was held.
    DecodedBatch decoded = (DecodedBatch) decoder.decode(batch.raw().value());
    if (!decoded.events().isEmpty()) {
      out.collect(EnvelopeParser.encode(ParsedBatch.of(decoded, product, batch.raw().origin())));
    }
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    heldCountState.update(List.of(heldCount));
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    heldCountState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("held-count", Types.LONG));
    // After a rescale the counts are redistributed with the keys only roughly, but their sum,
    // the job's total, stays exact.
    heldCount = 0;
    for (Long count : heldCountState.get()) {
      heldCount += count;
    }
  }
}
