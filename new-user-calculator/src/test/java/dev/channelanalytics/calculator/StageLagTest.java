package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.calculator.StageLag.Sample;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class StageLagTest {
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  @Test
  void aStageThatConsumedEverythingIsZeroSecondsBehind() {
    Deque<Sample> h = history(new Sample(0, Map.of(P0, 10L)), new Sample(5_000, Map.of(P0, 10L)));
    assertThat(StageLag.secondsBehind(h, Map.of(P0, 10L), 5_000)).isZero();
  }

  @Test
  void theLagIsTheTimeSinceTheOldestUnconsumedRecordArrived() {
    // Records 10..19 arrived between the samples at 5 s and 10 s; the stage stopped at 10.
    Deque<Sample> h =
        history(
            new Sample(0, Map.of(P0, 10L, P1, 4L)),
            new Sample(5_000, Map.of(P0, 10L, P1, 4L)),
            new Sample(10_000, Map.of(P0, 20L, P1, 4L)),
            new Sample(15_000, Map.of(P0, 30L, P1, 9L)));
    Map<TopicPartition, Long> committed = Map.of(P0, 10L, P1, 4L);
    assertThat(StageLag.secondsBehind(h, committed, 40_000)).isEqualTo(30.0);
    // Once the stage caught up with the first arrivals, only later ones count.
    assertThat(StageLag.secondsBehind(h, Map.of(P0, 20L, P1, 4L), 40_000)).isEqualTo(25.0);
  }

  @Test
  void aPartitionNeverCommittedCountsFromItsStartAndHistoryShorterThanTheLagIsALowerBound() {
    Deque<Sample> h = history(new Sample(7_000, Map.of(P0, 3L)));
    assertThat(StageLag.secondsBehind(h, Map.of(), 9_000)).isEqualTo(2.0);
  }

  @Test
  void pruningKeepsWhatTheLagStillNeedsAndAlwaysTheNewest() {
    Deque<Sample> h =
        history(
            new Sample(0, Map.of(P0, 10L)),
            new Sample(5_000, Map.of(P0, 15L)),
            new Sample(10_000, Map.of(P0, 20L)));
    StageLag.prune(h, Map.of(P0, 12L));
    assertThat(h).extracting(Sample::atMillis).containsExactly(5_000L, 10_000L);
    StageLag.prune(h, Map.of(P0, 20L));
    assertThat(h).extracting(Sample::atMillis).containsExactly(10_000L);
  }

  private static Deque<Sample> history(Sample... samples) {
    Deque<Sample> h = new ArrayDeque<>();
    for (Sample s : samples) {
      h.addLast(s);
    }
    return h;
  }
}
