package dev.channelanalytics.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.records.FirstSeenRecord;
import org.junit.jupiter.api.Test;

class FirstSeenWritePlanTest {
  private static final long T = 1_795_428_000_000L;

  private static FirstSeenRecord seen(long t0, String channel, String appKey) {
    return new FirstSeenRecord("browser", "d1", t0, channel, appKey);
  }

  @Test
  void newUserIsWrittenWithAPlainExternalVersionAndMarksItsMinute() {
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    assertThat(plan.offer(seen(T + 61_000, "huawei", "ak_1"), null)).isTrue();
    assertThat(plan.writes())
        .containsExactly(new FirstSeenStore.Write(seen(T + 61_000, "huawei", "ak_1"), false));
    assertThat(plan.changedMinutes().get("browser")).containsExactly(T + 60_000);
  }

  @Test
  void earlierSightingMovesTheUserAndMarksBothTheMinuteItEntersAndTheOneItLeaves() {
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    assertThat(plan.offer(seen(T + 5_000, "xiaomi", "ak_1"), seen(T + 3_600_000, "huawei", "ak_1")))
        .isTrue();
    assertThat(plan.writes())
        .singleElement()
        .extracting(FirstSeenStore.Write::sameT0Overwrite)
        .isEqualTo(false);
    assertThat(plan.changedMinutes().get("browser")).containsExactly(T, T + 3_600_000);
  }

  @Test
  void laterOrEqualSightingIsNotWrittenAndMarksNothing() {
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    assertThat(plan.offer(seen(T + 1, "aaa", "ak_1"), seen(T, "zzz", "ak_9"))).isFalse();
    assertThat(plan.offer(seen(T, "huawei", "ak_1"), seen(T, "huawei", "ak_1"))).isFalse();
    assertThat(plan.writes()).isEmpty();
    assertThat(plan.changedMinutes()).isEmpty();
  }

  @Test
  void tieOnT0WonBySmallerChannelOverwritesTheEqualVersion() {
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    assertThat(plan.offer(seen(T, "huawei", "ak_9"), seen(T, "xiaomi", "ak_1"))).isTrue();
    assertThat(plan.offer(seen(T, "huawei", "ak_1"), seen(T, "huawei", "ak_2"))).isTrue();
    assertThat(plan.writes())
        .extracting(FirstSeenStore.Write::sameT0Overwrite)
        .containsExactly(true, true);
    assertThat(plan.changedMinutes().get("browser")).containsExactly(T);
  }

  @Test
  void tieOnT0LostByTheCandidateIsNotWritten() {
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    assertThat(plan.offer(seen(T, "xiaomi", "ak_1"), seen(T, "huawei", "ak_9"))).isFalse();
    assertThat(plan.writes()).isEmpty();
  }

  @Test
  void aProvenSightingIsWrittenOverAbsenceALaterOneOrTheSameT0ButNeverOverAnEarlierOne() {
    FirstSeenWritePlan plan = new FirstSeenWritePlan();
    assertThat(plan.offerProven(seen(T, "huawei", "ak_1"), null)).isTrue();
    assertThat(plan.offerProven(seen(T, "huawei", "ak_1"), seen(T + 120_000, "huawei", "ak_1")))
        .isTrue();
    // The same t0: the proven channel overwrites even where the tie rule would keep "aaa".
    assertThat(plan.offerProven(seen(T, "xiaomi", "ak_1"), seen(T, "aaa", "ak_1"))).isTrue();
    assertThat(plan.offerProven(seen(T + 60_000, "huawei", "ak_1"), seen(T, "huawei", "ak_1")))
        .isFalse();
    assertThat(plan.writes())
        .extracting(FirstSeenStore.Write::sameT0Overwrite)
        .containsExactly(true, true, true);
    assertThat(plan.changedMinutes().get("browser")).containsExactly(T, T + 120_000);
  }
}
