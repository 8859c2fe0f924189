package dev.channelanalytics.calculator;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recomputes the buckets the sharder and calibration mark as changed ({@link
 * ReportCalculator#recomputeMarked}) on a thread of its own: a pass as soon as the last one ends
 * while marks keep coming, else one every {@code calculator.changes-interval}. The marks are the
 * queue: a pass that fails consumes nothing, so a failure or a restart loses no recomputation.
 *
 * <p>Not a Quartz trigger: a trigger every second in the JDBC job store cost transactions of its
 * own on every firing, and a run that outlasted the misfire threshold (waiting for a product's lock
 * while the trailing window was recomputed, say) left the trigger to the misfire handler, which
 * looks only every few seconds; at 2,000 envelopes/s passes were 5 to 10 s apart, and that was most
 * of the calculator's share of freshness. Runs are reported to {@link JobHealth} as a job's runs
 * are, under the same name, so {@code /health} and the metrics keep their meaning.
 */
final class ChangedBucketsLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangedBucketsLoop.class);

  /** The job name in {@code /health} and the metrics. */
  static final String NAME = "changed-buckets";

  private final ReportCalculator calculator;
  private final long idleMillis;
  private final JobHealth health;
  private final Thread thread;
  private final Object wake = new Object();
  private volatile boolean closed;

  ChangedBucketsLoop(ReportCalculator calculator, Duration idle, JobHealth health) {
    this.calculator = calculator;
    this.idleMillis = Math.max(10, idle.toMillis());
    this.health = health;
    this.thread = new Thread(this::run, "changed-buckets");
    this.thread.setDaemon(true);
  }

  /** Starts the passes. */
  ChangedBucketsLoop start() {
    thread.start();
    return this;
  }

  private void run() {
    while (!closed) {
      long start = System.nanoTime();
      boolean more = false;
      try {
        more = calculator.recomputeMarked() > 0;
        health.ran(NAME, elapsedMillis(start), null);
      } catch (RuntimeException e) {
        health.ran(
            NAME,
            elapsedMillis(start),
            new IllegalStateException("recomputing changed buckets failed", e));
      } catch (Error e) {
        LOG.error("The changed-buckets loop stops: {}", e.toString());
        throw e;
      }
      if (!more) {
        idle();
      }
    }
  }

  /** Waits a changes interval, or until closed. */
  private void idle() {
    synchronized (wake) {
      if (!closed) {
        try {
          wake.wait(idleMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          closed = true;
        }
      }
    }
  }

  private static long elapsedMillis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** Lets the pass under way finish (at most {@code timeout}) and starts no other. */
  void close(Duration timeout) throws InterruptedException {
    closed = true;
    synchronized (wake) {
      wake.notifyAll();
    }
    thread.join(timeout.toMillis());
    if (thread.isAlive()) {
      LOG.warn(
          "The changed-buckets pass under way did not end within {}; left to the exit", timeout);
    }
  }

  @Override
  public void close() throws InterruptedException {
    close(Duration.ofSeconds(30));
  }
}
