package dev.channelanalytics.common.records;

import java.io.Serializable;
import java.util.Objects;

/**
 * A user's first sighting (contract section 7): the earliest event time of a (product, device) with
 * the channel and app key of the batch that holds it.
 *
 * <p>One record beats another when it is earlier, or as early with a smaller channel, or as early
 * with the same channel and a smaller app key (the contract is silent on that last tie; the
 * reference model breaks it the same way, so the first app key is deterministic).
 *
 * @param productId the product
 * @param deviceId the normalised device id
 * @param t0 the first-seen time, epoch milliseconds
 * @param channel the channel of the batch holding {@code t0}
 * @param appKey the app key of that batch
 */
public record FirstSeenRecord(
    String productId, String deviceId, long t0, String channel, String appKey)
    implements Serializable {

  /**
   * The largest first-seen time, in absolute value, that external versions can order: about 126
   * million years either side of 1970.
   */
  public static final long MAX_ABS_T0 = 4_000_000_000_000_000_000L;

  private static final long VERSION_ORIGIN = 4_500_000_000_000_000_000L;

  public FirstSeenRecord {
    Objects.requireNonNull(productId, "productId");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(appKey, "appKey");
  }

  /** The record of a parsed batch: its earliest event. */
  public static FirstSeenRecord of(ParsedBatch batch) {
    return new FirstSeenRecord(
        batch.productId(),
        batch.deviceId(),
        batch.firstEventTime(),
        batch.channel(),
        batch.appKey());
  }

  /** True when this sighting wins over {@code other} by the contract's rule. */
  public boolean beats(FirstSeenRecord other) {
    if (t0 != other.t0) {
      return t0 < other.t0;
    }
    int c = channel.compareTo(other.channel);
    return c != 0 ? c < 0 : appKey.compareTo(other.appKey) < 0;
  }

  /** The minute bucket of {@code t0}, epoch milliseconds (the same in every whole-minute zone). */
  public long minute() {
    return Math.floorDiv(t0, 60_000L) * 60_000L;
  }

  /**
   * The Elasticsearch external version: it falls as {@code t0} rises, so a write of a later
   * sighting is refused with a version conflict. Ties on {@code t0} share a version and are settled
   * by {@link #beats}.
   *
   * @throws IllegalStateException when {@code t0} is beyond {@link #MAX_ABS_T0}
   */
  public long externalVersion() {
    if (!versionable()) {
      throw new IllegalStateException("t0 " + t0 + " is beyond what external versions can order");
    }
    return VERSION_ORIGIN - t0;
  }

  public boolean versionable() {
    return t0 >= -MAX_ABS_T0 && t0 <= MAX_ABS_T0;
  }
}
