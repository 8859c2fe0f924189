package dev.channelanalytics.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The command line of {@link OfflineMain}: the hours a {@code run} computes are the ones {@link
 * OfflineMain#hoursOf} gives, and a command it does not know fails before anything connects. (An
 * ITCase runs both commands against a warehouse.)
 */
class OfflineMainTest {
  @Test
  void hoursOfARangeStartAtTheHourOfItsBeginning() {
    assertThat(
            OfflineMain.hoursOf(
                Instant.parse("2026-11-23T10:30:00Z"), Instant.parse("2026-11-23T12:00:00Z")))
        .containsExactly(
            Instant.parse("2026-11-23T10:00:00Z"), Instant.parse("2026-11-23T11:00:00Z"));
    assertThatThrownBy(
            () ->
                OfflineMain.hoursOf(
                    Instant.parse("2026-11-23T10:30:00Z"), Instant.parse("2026-11-23T10:00:00Z")))
        .hasMessageContaining("no hour starts");
  }

  @Test
  void aRunComputesTheHoursStartingInItsRangeAndADueListsThemAtTheGivenInstant() {
    OfflineMain.Request run =
        OfflineMain.Request.of(
            new String[] {
              "--config", "c.properties", "run", "2026-11-23T10:30:00Z", "2026-11-23T12:00:01Z"
            });
    assertThat(run.hours())
        .containsExactly(
            Instant.parse("2026-11-23T10:00:00Z"),
            Instant.parse("2026-11-23T11:00:00Z"),
            Instant.parse("2026-11-23T12:00:00Z"));
    assertThat(run.dueAt()).isNull();
    assertThat(run.replay()).isFalse();
    OfflineMain.Request replay =
        OfflineMain.Request.of(
            new String[] {"replay", "2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z"});
    assertThat(replay.replay()).isTrue();
    assertThat(replay.hours()).containsExactly(Instant.parse("2026-11-23T10:00:00Z"));
    OfflineMain.Request due = OfflineMain.Request.of(new String[] {"due", "2026-11-23T10:30:00Z"});
    assertThat(due.hours()).isNull();
    assertThat(due.dueAt()).isEqualTo(Instant.parse("2026-11-23T10:30:00Z"));
    assertThat(OfflineMain.Request.of(new String[] {"due"}).dueAt()).isNotNull();
  }

  @Test
  void anEmptyRangeOrAnUnknownCommandFailsBeforeConnecting() throws Exception {
    assertThatThrownBy(
            () ->
                OfflineMain.run(
                    new String[] {"run", "2026-11-23T10:30:00Z", "2026-11-23T10:00:00Z"},
                    System.out,
                    System.err))
        .hasMessageContaining("no hour starts");
    for (String[] args :
        new String[][] {
          {}, {"--config", "c.properties"}, {"compute"}, {"run", "2026-11-23T10:30:00Z"}
        }) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertThat(
              OfflineMain.run(args, System.out, new PrintStream(err, true, StandardCharsets.UTF_8)))
          .isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("usage: ");
    }
  }
}
