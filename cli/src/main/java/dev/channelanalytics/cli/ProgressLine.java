package dev.channelanalytics.cli;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/** A live progress line for long work: done so far, rate, errors, rewritten in place. */
final class ProgressLine {
  private final String what;
  private final long total;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final boolean interactive = System.console() != null;
  private long lastPrintNanos;

  /**
   * @param total the expected count, or -1 when unknown
   */
  ProgressLine(String what, long total, PrintStream out) {
    this.what = what;
    this.total = total;
    this.out = out;
  }

  void done(long n) {
    done.addAndGet(n);
  }

  void error() {
    errors.incrementAndGet();
  }

  long doneCount() {
    return done.get();
  }

  long errorCount() {
    return errors.get();
  }

  double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Rewrites the line twice a second on a terminal; prints a line every 5 s into a log. */
  void maybePrint() {
    long now = System.nanoTime();
    if (now - lastPrintNanos > (interactive ? 500_000_000L : 5_000_000_000L)) {
      lastPrintNanos = now;
      out.print(interactive ? "\r" + line() : line() + "\n");
      out.flush();
    }
  }

  void finish() {
    out.print((interactive ? "\r" : "") + line() + "\n");
    out.flush();
  }

  private String line() {
    long d = done.get();
    double s = Math.max(seconds(), 1e-3);
    String of =
        total >= 0 ? String.format("/%d (%.0f%%)", total, 100.0 * d / Math.max(1, total)) : "";
    return String.format(
        "%s %d%s, %.0f/s, %d errors, %.1f s   ", what, d, of, d / s, errors.get(), seconds());
  }
}
