package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pacing of {@code channel ingest raw --rate} and {@code simulate}, on a clock it controls. */
class PacerTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final long START = 5_000 * MS;

  /** Moves only when slept on or advanced; a sleep lasts at most {@code maxSleep}. */
  private static final class ManualClock implements Pacer.Clock {
    final List<Long> sleeps = new ArrayList<>();
    final long maxSleep;
    long now = START;

    ManualClock(long maxSleep) {
      this.maxSleep = maxSleep;
    }

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleepNanos(long nanos) {
      sleeps.add(nanos);
      now += Math.min(nanos, maxSleep);
    }
  }

  private final ManualClock clock = new ManualClock(Long.MAX_VALUE);

  @Test
  void turnsFollowOneIntervalApartFromTheFirst() throws Exception {
    Pacer pacer = Pacer.perSecond(4, clock);
    List<Long> turns = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      pacer.awaitTurn();
      turns.add(clock.now - START);
    }
    assertThat(turns).containsExactly(0L, 250 * MS, 500 * MS, 750 * MS, 1000 * MS);
  }

  @Test
  void timeTheCallerSpendsCountsTowardsTheInterval() throws Exception {
    Pacer pacer = Pacer.perSecond(10, clock);
    pacer.awaitTurn();
    clock.now += 30 * MS; // sending took 30 ms
    pacer.awaitTurn();
    assertThat(clock.sleeps).containsExactly(70 * MS);
  }

  @Test
  void aSleepThatEndsEarlyIsFollowedByOneForWhatIsLeft() throws Exception {
    ManualClock early = new ManualClock(400 * MS);
    Pacer pacer = Pacer.perSecond(1, early);
    pacer.awaitTurn();
    pacer.awaitTurn();
    assertThat(early.sleeps).containsExactly(1000 * MS, 600 * MS, 200 * MS);
    assertThat(early.now - START).isEqualTo(1000 * MS);
  }

  @Test
  void fractionalIntervalsDoNotDriftOverManyTurns() throws Exception {
    Pacer pacer = Pacer.perSecond(3, clock);
    for (int i = 0; i <= 3000; i++) {
      pacer.awaitTurn();
    }
    assertThat(clock.now - START).isEqualTo(TimeUnit.SECONDS.toNanos(1000));
  }

  @Test
  void aCallerFarBehindStartsAfreshInsteadOfBursting() throws Exception {
    Pacer pacer = Pacer.perSecond(10, clock);
    pacer.awaitTurn();
    clock.now += 5_000 * MS; // a stalled broker
    pacer.awaitTurn();
    assertThat(clock.sleeps).isEmpty();
    pacer.awaitTurn();
    assertThat(clock.sleeps).containsExactly(100 * MS);
  }

  @Test
  void aCallerSlightlyBehindCatchesUpWithoutWaiting() throws Exception {
    Pacer pacer = Pacer.perSecond(10, clock);
    pacer.awaitTurn();
    clock.now += 250 * MS; // two turns late, within the second it may catch up
    pacer.awaitTurn();
    pacer.awaitTurn();
    pacer.awaitTurn();
    assertThat(clock.sleeps).containsExactly(50 * MS);
  }

  @Test
  void rateMustBePositiveAndFinite() {
    for (double rate : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> Pacer.perSecond(rate, clock))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("positive");
    }
  }
}
