package dev.channelanalytics.common.simulation;

import dev.channelanalytics.common.contract.RejectReason;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What traffic the simulator makes: how much, over which time, with which mix of users, channels,
 * late and duplicate deliveries, clock skew, key rotation and rejects.
 *
 * @param seed the same seed gives byte-for-byte the same records
 * @param envelopes how many envelopes to make (duplicates and rejects included)
 * @param startMillis receive time of the first envelope, epoch milliseconds
 * @param span receive times spread evenly over this span
 * @param keyIds live key ids, oldest first; the simulator rotates through them
 * @param products number of products; each has {@code appKeysPerProduct} app keys
 * @param channels number of channels; their popularity follows a Zipf law of exponent {@code
 *     channelSkew}
 * @param returningShare share of valid batches from a device already seen
 * @param maxEventsPerBatch events per batch are 1 to this
 * @param maxDeliveryDelay the latest an event is delivered after it happened
 * @param duplicateShare share of envelopes that are an exact re-delivery of an earlier one
 * @param farClockShare share of batches from a device whose clock is days off
 * @param gzipShare share of envelopes with a gzip plaintext
 * @param lateMappingShare share of app keys whose mapping arrives after their first logs
 * @param rejectShares share of envelopes made to be rejected, per reason
 */
public record SimulationSpec(
    long seed,
    int envelopes,
    long startMillis,
    Duration span,
    List<String> keyIds,
    int products,
    int appKeysPerProduct,
    int channels,
    double channelSkew,
    double returningShare,
    int maxEventsPerBatch,
    Duration maxDeliveryDelay,
    double duplicateShare,
    double farClockShare,
    double gzipShare,
    double lateMappingShare,
    Map<RejectReason, Double> rejectShares) {

  public SimulationSpec {
    if (envelopes < 0 || products < 1 || appKeysPerProduct < 1 || channels < 1) {
      throw new IllegalArgumentException(
          "envelopes must be >= 0; products, app keys per product and channels >= 1");
    }
    if (keyIds == null || keyIds.isEmpty()) {
      throw new IllegalArgumentException("at least one key id is needed");
    }
    if (maxEventsPerBatch < 1) {
      throw new IllegalArgumentException("maxEventsPerBatch must be >= 1");
    }
    keyIds = List.copyOf(keyIds);
    rejectShares = Map.copyOf(rejectShares);
    double rejects = rejectShares.values().stream().mapToDouble(Double::doubleValue).sum();
    if (rejects + duplicateShare > 1.0) {
      throw new IllegalArgumentException("reject and duplicate shares add up to more than 1");
    }
  }

  /**
   * A realistic mix: 3 products of 2 app keys, 30 channels with a strong skew, 40% returning
   * devices, deliveries up to 30 minutes late, 2% duplicates, 1% far-off clocks, 30% gzip, a fifth
   * of the app keys mapped late, and 0.5% of every kind of reject.
   */
  public static SimulationSpec defaults(
      long seed, int envelopes, long startMillis, Duration span, List<String> keyIds) {
    return new SimulationSpec(
        seed,
        envelopes,
        startMillis,
        span,
        keyIds,
        3,
        2,
        30,
        1.2,
        0.4,
        4,
        Duration.ofMinutes(30),
        0.02,
        0.01,
        0.3,
        0.2,
        everyRejectAt(0.005));
  }

  /** The same spec with every reject share set to {@code share}. */
  public SimulationSpec withRejectShare(double share) {
    return copy(products, channels, everyRejectAt(share));
  }

  /** The same share for every reject reason. */
  private static Map<RejectReason, Double> everyRejectAt(double share) {
    Map<RejectReason, Double> rejects = new EnumMap<>(RejectReason.class);
    for (RejectReason r : RejectReason.values()) {
      rejects.put(r, share);
    }
    return rejects;
  }

  /** The same spec with another number of products and channels. */
  public SimulationSpec withShape(int products, int channels) {
    return copy(products, channels, rejectShares);
  }

  private SimulationSpec copy(int products, int channels, Map<RejectReason, Double> rejects) {
    return new SimulationSpec(
        seed,
        envelopes,
        startMillis,
        span,
        keyIds,
        products,
        appKeysPerProduct,
        channels,
        channelSkew,
        returningShare,
        maxEventsPerBatch,
        maxDeliveryDelay,
        duplicateShare,
        farClockShare,
        gzipShare,
        lateMappingShare,
        rejects);
  }
}
