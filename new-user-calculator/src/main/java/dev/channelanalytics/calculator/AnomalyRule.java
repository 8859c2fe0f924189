package dev.channelanalytics.calculator;

import java.util.Arrays;
import java.util.Locale;

/**
 * Whether a channel's new users in one window are an anomaly against the same window on the days
 * before: a robust band around the baseline's median (its median absolute deviation, scaled to a
 * standard deviation, and never narrower than the square root of the median, the noise of a count
 * of that size) that spikes and drops leave; a channel with no users in its baseline that now has
 * some is new, and one that had users yesterday and has none now went silent. Changes smaller than
 * {@code minUsers} (in the window and in the baseline's median) never alert, so tiny channels stay
 * quiet.
 *
 * @param factor how many deviations from the median a window may be before it alerts
 * @param minUsers users the window or the baseline's median needs before a change alerts
 */
record AnomalyRule(double factor, long minUsers) {
  /** Scales a median absolute deviation to the standard deviation of a normal distribution. */
  static final double MAD_TO_SIGMA = 1.4826;

  AnomalyRule {
    if (!(factor > 0)) {
      throw new IllegalArgumentException("factor must be positive");
    }
    if (minUsers < 1) {
      throw new IllegalArgumentException("minUsers must be at least 1");
    }
  }

  /** What an anomaly is. */
  enum Kind {
    SPIKE,
    DROP,
    NEW,
    SILENT;

    String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * An anomaly and the band it left.
   *
   * @param median the baseline's median
   * @param low the fewest users the band allows
   * @param high the most users the band allows
   */
  record Verdict(Kind kind, double median, double low, double high) {}

  /**
   * Judges {@code users} against {@code baseline}, the users of the same window on the days before,
   * oldest first. Days before the channel's first users in the window are no history of it and are
   * left out, so a channel a few days old is judged by the days it had; a channel with no such day
   * is new. Returns null when nothing is anomalous.
   */
  Verdict judge(long users, long[] baseline) {
    int first = 0;
    while (first < baseline.length && baseline[first] == 0) {
      first++;
    }
    if (first == baseline.length) {
      return users >= minUsers ? new Verdict(Kind.NEW, 0, 0, 0) : null;
    }
    long[] history = Arrays.copyOfRange(baseline, first, baseline.length);
    double median = median(history);
    double[] deviations = new double[history.length];
    for (int i = 0; i < history.length; i++) {
      deviations[i] = Math.abs(history[i] - median);
    }
    double spread = Math.max(Math.max(MAD_TO_SIGMA * median(deviations), Math.sqrt(median)), 1);
    double low = Math.max(0, median - factor * spread);
    double high = median + factor * spread;
    if (Math.max(users, median) < minUsers) {
      return null;
    }
    if (users == 0) {
      // A silence is news once: the day before still had users; later days are the same silence.
      return baseline[baseline.length - 1] > 0 && median >= minUsers
          ? new Verdict(Kind.SILENT, median, low, high)
          : null;
    }
    if (users > high) {
      return new Verdict(Kind.SPIKE, median, low, high);
    }
    if (users < low) {
      return new Verdict(Kind.DROP, median, low, high);
    }
    return null;
  }

  static double median(long[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = values[i];
    }
    return median(d);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
