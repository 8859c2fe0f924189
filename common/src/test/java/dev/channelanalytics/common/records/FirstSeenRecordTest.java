package dev.channelanalytics.common.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FirstSeenRecordTest {
  private static FirstSeenRecord seen(long t0, String channel, String appKey) {
    return new FirstSeenRecord("browser", "d1", t0, channel, appKey);
  }

  @Test
  void earlierSightingBeatsLaterWhateverTheChannel() {
    assertThat(seen(1_000, "zzz", "ak_2").beats(seen(1_001, "aaa", "ak_1"))).isTrue();
    assertThat(seen(1_001, "aaa", "ak_1").beats(seen(1_000, "zzz", "ak_2"))).isFalse();
  }

  @Test
  void tieOnT0GoesToTheSmallerChannelThenTheSmallerAppKey() {
    assertThat(seen(1_000, "huawei", "ak_9").beats(seen(1_000, "xiaomi", "ak_1"))).isTrue();
    assertThat(seen(1_000, "huawei", "ak_1").beats(seen(1_000, "huawei", "ak_2"))).isTrue();
    assertThat(seen(1_000, "huawei", "ak_1").beats(seen(1_000, "huawei", "ak_1"))).isFalse();
  }

  @Test
  void externalVersionFallsAsT0RisesSoLaterWritesConflict() {
    assertThat(seen(1_000, "c", "a").externalVersion())
        .isGreaterThan(seen(1_001, "c", "a").externalVersion());
    assertThat(seen(-5_000, "c", "a").externalVersion()).isPositive();
    assertThat(seen(FirstSeenRecord.MAX_ABS_T0, "c", "a").externalVersion()).isPositive();
    assertThat(seen(-FirstSeenRecord.MAX_ABS_T0, "c", "a").externalVersion())
        .isLessThan(Long.MAX_VALUE);
  }

  @Test
  void t0BeyondTheVersionRangeIsRefusedNotWrapped() {
    FirstSeenRecord far = seen(FirstSeenRecord.MAX_ABS_T0 + 1, "c", "a");
    assertThat(far.versionable()).isFalse();
    assertThatThrownBy(far::externalVersion).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void minuteIsTheFloorAlsoBefore1970() {
    assertThat(seen(1_795_428_012_345L, "c", "a").minute()).isEqualTo(1_795_428_000_000L);
    assertThat(seen(-1, "c", "a").minute()).isEqualTo(-60_000L);
  }
}
