package dev.channelanalytics.local;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for a condition with a time-out, so nothing in the stack or the tests sleeps blindly. */
public final class Poll {
  private Poll() {}

  /**
   * Polls {@code condition} until it returns true; exceptions it throws count as "not yet".
   *
   * @throws IllegalStateException on time-out, naming what was awaited and the last error seen
   */
  public static void until(String what, Duration timeout, Callable<Boolean> condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseMillis = 20;
    Exception last = null;
    while (true) {
      try {
        if (Boolean.TRUE.equals(condition.call())) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "timed out after " + timeout.toSeconds() + " s waiting for " + what, last);
      }
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
      pauseMillis = Math.min(500, pauseMillis * 2);
    }
  }
}
