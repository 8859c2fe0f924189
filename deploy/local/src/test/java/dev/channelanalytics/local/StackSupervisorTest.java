package dev.channelanalytics.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervisor's back-off and what {@code channel status} reads of a log. */
class StackSupervisorTest {
  @TempDir Path dir;

  @Test
  void backOffDoublesFromOneSecondToAMinute() {
    assertThat(StackSupervisor.delay(0)).isEqualTo(Duration.ofSeconds(1));
    assertThat(StackSupervisor.delay(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(StackSupervisor.delay(5)).isEqualTo(Duration.ofSeconds(32));
    assertThat(StackSupervisor.delay(6)).isEqualTo(Duration.ofMinutes(1));
    assertThat(StackSupervisor.delay(1_000)).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void theLastErrorIsTheLastLineLoggedAtErrorOrAnUncaughtFailure() throws Exception {
    Path log = dir.resolve("job.log");
    Files.writeString(
        log,
        String.join(
            "\n",
            "2026-12-03 10:00:00,000 INFO  Job - started",
            "2026-12-03 10:00:01,000 ERROR Job - first failure",
            "2026-12-03 10:00:02,000 WARN  Job - slow",
            "Exception in thread \"main\" java.lang.IllegalStateException: boom",
            "\tat dev.Job.main(Job.java:1)",
            "2026-12-03 10:00:03,000 INFO  Job - still here",
            ""));
    assertThat(LogTail.lastError(log))
        .hasValue("Exception in thread \"main\" java.lang.IllegalStateException: boom");
    Files.writeString(log, "x".repeat(500) + " ERROR " + "y".repeat(500) + "\n");
    assertThat(LogTail.lastError(log).orElseThrow()).hasSize(LogTail.ERROR_CHARS).endsWith("…");
    assertThat(LogTail.lastError(dir.resolve("absent.log"))).isEmpty();
    Files.writeString(log, "2026-12-03 10:00:00,000 INFO  Job - fine\n");
    assertThat(LogTail.lastError(log)).isEmpty();
  }

  @Test
  void aLogLongerThanTheWindowIsReadFromItsEndOnly() throws Exception {
    Path log = dir.resolve("big.log");
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < 2 * LogTail.WINDOW_BYTES; i++) {
      text.append("2026-12-03 10:00:00,000 INFO  Job - line ").append(i).append('\n');
    }
    Files.writeString(log, text);
    String[] all = text.toString().split("\n");
    assertThat(LogTail.lastLines(log, 3))
        .containsExactly(all[all.length - 3], all[all.length - 2], all[all.length - 1]);
    assertThat(LogTail.lastLines(log, Integer.MAX_VALUE).get(0)).startsWith("2026-12-03");
  }
}
