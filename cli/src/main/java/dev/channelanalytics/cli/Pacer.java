package dev.channelanalytics.cli;

import java.util.concurrent.TimeUnit;

/**
 * Spaces sends evenly at a target rate, so a replay reaches the pipeline as a steady stream rather
 * than in bursts.
 *
 * <p>Each turn has a due time counted from the first one, so the rate holds on average when single
 * waits overshoot; a caller waits by sleeping, never by spinning. A caller that fell more than a
 * second behind (a stalled broker, a pause) starts a new schedule instead of catching up, so a
 * stall never turns into a burst above the rate.
 */
final class Pacer {
  /** Time as the pacer sees it; tests pass one that moves only when the pacer sleeps. */
  interface Clock {
    long nanoTime();

    void sleepNanos(long nanos) throws InterruptedException;

    Clock SYSTEM =
        new Clock() {
          @Override
          public long nanoTime() {
            return System.nanoTime();
          }

          @Override
          public void sleepNanos(long nanos) throws InterruptedException {
            TimeUnit.NANOSECONDS.sleep(nanos);
          }
        };
  }

  private static final long MAX_BEHIND_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final double nanosPerTurn;
  private final Clock clock;
  private long scheduleStart;
  private long turns;

  private Pacer(double nanosPerTurn, Clock clock) {
    this.nanosPerTurn = nanosPerTurn;
    this.clock = clock;
  }

  /** A pacer for {@code perSecond} turns a second, which must be a positive, finite number. */
  static Pacer perSecond(double perSecond, Clock clock) {
    if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException(
          "the rate must be a positive number per second, not " + perSecond);
    }
    return new Pacer(1e9 / perSecond, clock);
  }

  /** A pacer that never waits. */
  static Pacer unpaced() {
    return new Pacer(0, Clock.SYSTEM);
  }

  /** Returns when the next turn is due: at once for the first, then one interval after another. */
  void awaitTurn() throws InterruptedException {
    if (nanosPerTurn == 0) {
      return;
    }
    long now = clock.nanoTime();
    long due = scheduleStart + Math.round(turns * nanosPerTurn);
    if (turns == 0 || now - due > MAX_BEHIND_NANOS) {
      scheduleStart = now;
      turns = 0;
      due = now;
    }
    // A sleep may end early; wait again for what is left.
    for (long wait = due - now; wait > 0; wait = due - clock.nanoTime()) {
      clock.sleepNanos(wait);
    }
    turns++;
  }
}
