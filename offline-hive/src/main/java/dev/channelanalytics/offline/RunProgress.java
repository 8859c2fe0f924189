package dev.channelanalytics.offline;

import java.time.Duration;
import java.time.Instant;

/** Hears about each step of an offline run, for progress lines. */
public interface RunProgress {
  void hourDone(int done, int total, HourResult result, Duration took);

  void hourFailed(int done, int total, Instant hour, Exception cause);

  /**
   * The cumulative first sightings and hourly new users were published; {@code how} says whether
   * the hours computed since the last publish were merged or every hour was read, and why.
   */
  void published(long users, long rows, String how, Duration took);

  /** An hour that can never be archived whole (retention deleted some of its records). */
  default void hourLost(int done, int total, Instant hour, String why) {}

  RunProgress SILENT =
      new RunProgress() {
        @Override
        public void hourDone(int done, int total, HourResult result, Duration took) {}

        @Override
        public void hourFailed(int done, int total, Instant hour, Exception cause) {}

        @Override
        public void published(long users, long rows, String how, Duration took) {}
      };
}
