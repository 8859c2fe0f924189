package dev.channelanalytics.parser.functions;

import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.KeyringSource;
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
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Holds batches whose app key has no product mapping, keyed by app key, for at most the hold time
 * of processing time (contract section 5).
 *
 * <p>A mapping that arrives in time releases every batch held for its app key at once, enriched
 * with that mapping. A batch still unmapped at its deadline leaves as an {@code unknown_app_key}
 * dead letter, never before its hold time.
 *
 * <p>Linear in its backlog and bounded: deadlines are rounded up to the whole second and batches
 * are kept per key in buckets by that second, so a key has at most one timer per second (Flink
 * keeps one timer per key and time) and a timer touches only its own bucket, however many batches
 * wait (a new app sending 1,000 envelopes a second for a hold of ten minutes is 600 timers, not
 * 600,000, and no timer reads the others' batches). At most {@code maxHeldBytes} of envelopes wait
 * in one subtask: a batch beyond that is an {@code unknown_app_key} dead letter at once, saying the
 * hold was full, rather than a parser that runs out of memory or checkpoints for ever. The state of
 * a key is cleared as soon as it holds nothing; timers of released batches fire later and find
 * nothing.
 */
public class UnmappedBatchHold
    extends KeyedBroadcastProcessFunction<String, UnmappedEnvelope, ProductMapping, KafkaPayload>
    implements CheckpointedFunction {

  /** The held batches of a key, by the second their hold ends. */
  static final MapStateDescriptor<Long, List<UnmappedEnvelope>> HELD =
      new MapStateDescriptor<>(
          "held-batches-by-deadline",
          Types.LONG,
          Types.LIST(TypeInformation.of(UnmappedEnvelope.class)));

  /**
   * The state of versions that kept one list per key and a timer per batch; read once per key and
   * moved into {@link #HELD}, so a checkpoint of those versions loses no held batch.
   */
  static final ListStateDescriptor<UnmappedEnvelope> LEGACY_HELD =
      new ListStateDescriptor<>("held-batches", TypeInformation.of(UnmappedEnvelope.class));

  private static final long SECOND = 1_000L;

  private final KeyringSource keyring;
  private final long holdMillis;
  private final long maxHeldBytes;

  private transient EnvelopeDecoder decoder;
  private transient MapState<Long, List<UnmappedEnvelope>> held;
  private transient ListState<UnmappedEnvelope> legacy;
  private transient Counter released;
  private transient Counter holdFull;
  private transient RejectCounters rejects;

  /** Batches and bytes held by this subtask, in operator state so gauges survive a restore. */
  private transient long heldCount;

  private transient long heldBytes;

  private transient ListState<Long> heldCountState;
  private transient ListState<Long> heldBytesState;

  /**
   * @param holdMillis how long a batch waits for its mapping
   * @param maxHeldBytes the most envelope bytes this subtask holds at once
   */
  public UnmappedBatchHold(Keyring keyring, long holdMillis, long maxHeldBytes) {
    this(KeyringSource.of(keyring), holdMillis, maxHeldBytes);
  }

  /** A hold whose workers read the keyring from {@code keyring} when they open. */
  public UnmappedBatchHold(KeyringSource keyring, long holdMillis, long maxHeldBytes) {
    if (holdMillis < 0) {
      throw new IllegalArgumentException("hold time must not be negative: " + holdMillis);
    }
    if (maxHeldBytes < 0) {
      throw new IllegalArgumentException("held bytes must not be negative: " + maxHeldBytes);
    }
    this.keyring = keyring;
    this.holdMillis = holdMillis;
    this.maxHeldBytes = maxHeldBytes;
  }

  @Override
  public void open(OpenContext openContext) {
    decoder = new EnvelopeDecoder(keyring.load());
    held = getRuntimeContext().getMapState(HELD);
    legacy = getRuntimeContext().getListState(LEGACY_HELD);
    var metrics = getRuntimeContext().getMetricGroup();
    released = metrics.counter("batchesReleased");
    holdFull = metrics.counter("batchesRejectedHoldFull");
    rejects = new RejectCounters(metrics);
    metrics.gauge("batchesHeld", () -> heldCount);
    metrics.gauge("bytesHeld", () -> heldBytes);
  }

  /** The end of a hold that starts at {@code now}, rounded up to the whole second. */
  long deadline(long now) {
    long end = now + holdMillis;
    return Math.floorDiv(end + SECOND - 1, SECOND) * SECOND;
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
    long size = batch.raw().value().length;
    if (heldBytes + size > maxHeldBytes) {
      holdFull.inc();
      rejects.inc(RejectReason.UNKNOWN_APP_KEY, 1);
      ctx.output(
          ParserOutputs.DEAD_LETTERS,
          EnvelopeParser.unknownAppKey(
              batch,
              "no product mapping for the app key, and the hold is full ("
                  + maxHeldBytes
                  + " bytes of envelopes wait in this parser subtask: parser.hold-max-bytes)"));
      return;
    }
    long deadline = deadline(ctx.timerService().currentProcessingTime());
    hold(batch.withHoldUntil(deadline), ctx.timerService());
  }

  private void hold(UnmappedEnvelope batch, TimerService timers) throws Exception {
    List<UnmappedEnvelope> bucket = held.get(batch.holdUntil());
    if (bucket == null) {
      bucket = new ArrayList<>();
    }
    bucket.add(batch);
    held.put(batch.holdUntil(), bucket);
    heldCount++;
    heldBytes += batch.raw().value().length;
    timers.registerProcessingTimeTimer(batch.holdUntil());
  }

  /**
   * Moves batches held by an earlier version into the buckets, with their timers. Called from the
   * timers only: each old batch still has its own timer, which fires at its deadline and moves it
   * (or a mapping releases it first), so the per-record path reads no old state.
   */
  private void migrateLegacy(TimerService timers) throws Exception {
    Iterable<UnmappedEnvelope> old = legacy.get();
    if (old == null || !old.iterator().hasNext()) {
      return;
    }
    for (UnmappedEnvelope batch : old) {
      // Counted already by the version that held it.
      heldCount--;
      long deadline = Math.floorDiv(batch.holdUntil() + SECOND - 1, SECOND) * SECOND;
      hold(batch.withHoldUntil(deadline), timers);
    }
    legacy.clear();
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<KafkaPayload> out)
      throws Exception {
    migrateLegacy(ctx.timerService());
    // Every bucket has its own timer: this one's is the only bucket to look at.
    List<UnmappedEnvelope> due = held.get(timestamp);
    if (due == null) {
      return; // released by its mapping meanwhile
    }
    String product = ctx.getBroadcastState(ProductMappingState.DESCRIPTOR).get(ctx.getCurrentKey());
    for (UnmappedEnvelope batch : due) {
      if (product != null) {
        release(batch, product, out);
      } else {
        rejects.inc(RejectReason.UNKNOWN_APP_KEY, 1);
        ctx.output(ParserOutputs.DEAD_LETTERS, EnvelopeParser.unknownAppKey(batch, holdMillis));
      }
      forget(batch);
    }
    held.remove(timestamp);
  }

  private void forget(UnmappedEnvelope batch) {
    heldCount--;
    heldBytes -= batch.raw().value().length;
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
            for (List<UnmappedEnvelope> bucket : state.values()) {
              for (UnmappedEnvelope batch : bucket) {
                release(batch, mapping.productId(), out);
                forget(batch);
              }
            }
            state.clear();
          }
        });
    ctx.applyToKeyedState(
        LEGACY_HELD,
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
    heldBytesState.update(List.of(heldBytes));
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    heldCountState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("held-count", Types.LONG));
    heldBytesState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("held-bytes", Types.LONG));
    // After a rescale the counts are redistributed with the keys only roughly, but their sum,
    // the job's total, stays exact.
    heldCount = 0;
    for (Long count : heldCountState.get()) {
      heldCount += count;
    }
    heldBytes = 0;
    for (Long bytes : heldBytesState.get()) {
      heldBytes += bytes;
    }
  }
}
