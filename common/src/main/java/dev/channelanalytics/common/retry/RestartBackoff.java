package dev.channelanalytics.common.retry;

import java.time.Duration;

/**
 * The wait before starting again something that stopped: {@link #FIRST}, doubling with each stop in
 * a row, to at most {@link #MAX}. The local supervisor restarts processes and the sharder its
 * streaming query by it, so both back off alike.
 */
public final class RestartBackoff {
  public static final Duration FIRST = Duration.ofSeconds(1);
  public static final Duration MAX = Duration.ofMinutes(1);

  /** Once something has run this long, its next stop counts as the first again. */
  public static final Duration STABLE = Duration.ofMinutes(10);

  private RestartBackoff() {}

  /** The wait after {@code consecutive} earlier stops in a row (0 for the first). */
  public static Duration delay(int consecutive) {
    long millis = FIRST.toMillis() << Math.min(Math.max(consecutive, 0), 20);
    return Duration.ofMillis(Math.min(millis, MAX.toMillis()));
  }
}
