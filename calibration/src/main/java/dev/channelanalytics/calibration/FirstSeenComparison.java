package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.KeywordOrder;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Compares the two paths' first sightings of one product, user by user, as a merge of two streams
 * in {@link KeywordOrder}, so an hour of a million users needs neither side in memory.
 *
 * <p>Two sightings of a user agree when they fall in the same minute with the same channel: then
 * every report row (minute, hour, day, cumulative) counts the user the same. Sightings that agree
 * but differ inside the minute (an earlier t0, another app key) are counted apart, as they change
 * no number.
 */
public final class FirstSeenComparison {
  /**
   * What one comparison found.
   *
   * @param offlineUsers users of the offline side
   * @param realTimeUsers users of the real-time side
   * @param differing users the sides disagree on, per kind
   * @param sameBucketOtherSighting users in the same minute and channel whose t0 or app key differ
   */
  public record Result(
      long offlineUsers,
      long realTimeUsers,
      Map<UserDifference.Kind, Long> differing,
      long sameBucketOtherSighting) {

    /** Users the sides disagree on. */
    public long differingUsers() {
      return differing.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Differing users over offline users (0 when both are empty; 1 when only real time has any).
     */
    public double errorRate() {
      if (offlineUsers == 0) {
        return differingUsers() == 0 ? 0 : 1;
      }
      return (double) differingUsers() / offlineUsers;
    }

    public boolean equal() {
      return differingUsers() == 0;
    }
  }

  private FirstSeenComparison() {}

  /**
   * Merges the two sides, calling {@code each} with every user they disagree on, in device order.
   *
   * @throws IllegalStateException when a side is not strictly ascending in {@link KeywordOrder} or
   *     mixes products (the merge would then report differences that are not there)
   */
  public static Result compare(
      Iterator<FirstSeenRecord> offline,
      Iterator<FirstSeenRecord> realTime,
      Consumer<UserDifference> each) {
    Side off = new Side("offline", offline);
    Side rt = new Side("real-time", realTime);
    Map<UserDifference.Kind, Long> differing = new EnumMap<>(UserDifference.Kind.class);
    long sameBucket = 0;
    while (off.current != null || rt.current != null) {
      int c =
          off.current == null
              ? 1
              : rt.current == null
                  ? -1
                  : KeywordOrder.INSTANCE.compare(off.current.deviceId(), rt.current.deviceId());
      UserDifference difference = null;
      if (c < 0) {
        difference =
            new UserDifference(UserDifference.Kind.MISSING_IN_REAL_TIME, off.current, null);
        off.advance();
      } else if (c > 0) {
        difference = new UserDifference(UserDifference.Kind.EXTRA_IN_REAL_TIME, null, rt.current);
        rt.advance();
      } else {
        FirstSeenRecord a = off.current;
        FirstSeenRecord b = rt.current;
        if (a.minute() != b.minute()) {
          difference = new UserDifference(UserDifference.Kind.OTHER_MINUTE, a, b);
        } else if (!a.channel().equals(b.channel())) {
          difference = new UserDifference(UserDifference.Kind.OTHER_CHANNEL, a, b);
        } else if (a.t0() != b.t0() || !a.appKey().equals(b.appKey())) {
          sameBucket++;
        }
        off.advance();
        rt.advance();
      }
      if (difference != null) {
        differing.merge(difference.kind(), 1L, Long::sum);
        each.accept(difference);
      }
    }
    return new Result(off.count, rt.count, Collections.unmodifiableMap(differing), sameBucket);
  }

  /** One side of the merge: its current record, checked to ascend and to keep to one product. */
  private static final class Side {
    private final String name;
    private final Iterator<FirstSeenRecord> records;
    private FirstSeenRecord current;
    private long count;

    Side(String name, Iterator<FirstSeenRecord> records) {
      this.name = name;
      this.records = records;
      advance();
    }

    void advance() {
      FirstSeenRecord previous = current;
      current = records.hasNext() ? records.next() : null;
      if (current == null) {
        return;
      }
      count++;
      if (previous != null) {
        if (!previous.productId().equals(current.productId())) {
          throw new IllegalStateException(
              "the "
                  + name
                  + " side mixes products "
                  + previous.productId()
                  + " and "
                  + current.productId());
        }
        if (KeywordOrder.INSTANCE.compare(previous.deviceId(), current.deviceId()) >= 0) {
          throw new IllegalStateException(
              "the "
                  + name
                  + " side is not in device order: "
                  + previous.deviceId()
                  + " before "
                  + current.deviceId());
        }
      }
    }
  }
}
