package dev.channelanalytics.offline;

import java.io.PrintStream;
import java.time.Duration;
import org.slf4j.Logger;

/** Progress lines of an offline run, for a terminal or for the service's log. */
final class OfflineProgress implements RunProgress {
  private final java.util.function.Consumer<String> out;

  private OfflineProgress(java.util.function.Consumer<String> out) {
    this.out = out;
  }

  static OfflineProgress printing(PrintStream stream) {
    return new OfflineProgress(
        line -> {
          stream.println(line);
          stream.flush();
        });
  }

  static OfflineProgress logging(Logger log) {
    return new OfflineProgress(log::info);
  }

  @Override
  public void hourDone(int done, int total, HourResult r, Duration took) {
    out.accept(
        String.format(
            "[%d/%d] %s  %,d records  %,d events  %,d rejects  %s%s  %.1f s",
            done,
            total,
            r.hour(),
            r.records(),
            r.events(),
            r.rejects(),
            r.rearchived() ? "archived" : "archive kept",
            r.sealed() ? "" : " (range still open)",
            took.toMillis() / 1000.0));
  }

  @Override
  public void hourFailed(int done, int total, java.time.Instant hour, Exception cause) {
    out.accept(String.format("[%d/%d] %s  FAILED: %s", done, total, hour, firstLine(cause)));
  }

  @Override
  public void hourLost(int done, int total, java.time.Instant hour, String why) {
    out.accept(String.format("[%d/%d] %s  LOST: %s", done, total, hour, why));
  }

  /** The first line of a failure's message (HiveServer2 appends the server's stack trace). */
  static String firstLine(Throwable failure) {
    String message = String.valueOf(failure.getMessage());
    return message.lines().findFirst().orElse(message);
  }

  @Override
  public void published(long users, long rows, String how, Duration took) {
    out.accept(
        String.format(
            "published: %,d users first seen, %,d hourly rows (%s)  %.1f s",
            users, rows, how, took.toMillis() / 1000.0));
  }
}
