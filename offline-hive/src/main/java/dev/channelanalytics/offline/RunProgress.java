package dev.channelanalytics.offline;

import java.time.Duration;
import java.time.Instant;

/** Hears about each step of an offline run, for progress lines. */
public interface RunProgress {
  void hourDone(int done, int total, HourResult result, Duration took);

  void hourFailed(int done, int total, Instant hour, Exception cause);

  void published(long users, long rows, Duration took);

  RunProgress SILENT =
      new RunProgress() {
        @Override
        public void hourDone(int done, int total, HourResult result, Duration took) {}

        @Override
        public void hourFailed(int done, int total, Instant hour, Exception cause) {}

        @Override
        public void published(long users, long rows, Duration took) {}
      };
}
