package dev.channelanalytics.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.calibration.UserDifference.Kind;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.store.KeywordOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class FirstSeenComparisonTest {
  private static final long T = 1_795_428_000_000L;

  private static FirstSeenRecord seen(String device, long t0, String channel) {
    return new FirstSeenRecord("browser", device, t0, channel, "ak_1");
  }

  private static FirstSeenComparison.Result compare(
      List<FirstSeenRecord> offline, List<FirstSeenRecord> realTime, List<UserDifference> out) {
    return FirstSeenComparison.compare(offline.iterator(), realTime.iterator(), out::add);
  }

  @Test
  void equalSidesAgreeAndDifferencesInsideTheBucketChangeNoNumber() {
    List<UserDifference> out = new ArrayList<>();
    FirstSeenComparison.Result r =
        compare(
            List.of(seen("a", T, "huawei"), seen("b", T + 5_000, "organic")),
            List.of(
                seen("a", T, "huawei"),
                new FirstSeenRecord("browser", "b", T + 9_000, "organic", "ak_2")),
            out);
    assertThat(out).isEmpty();
    assertThat(r.equal()).isTrue();
    assertThat(r.errorRate()).isZero();
    assertThat(r.offlineUsers()).isEqualTo(2);
    assertThat(r.realTimeUsers()).isEqualTo(2);
    assertThat(r.sameBucketOtherSighting()).isEqualTo(1);
  }

  @Test
  void everyKindOfDifferenceIsFoundInKeywordOrderAndCounted() {
    List<UserDifference> out = new ArrayList<>();
    FirstSeenComparison.Result r =
        compare(
            List.of(
                seen("a", T, "huawei"),
                seen("c", T, "huawei"),
                seen("d", T + 30_000, "huawei"),
                seen("e", T, "huawei")),
            List.of(
                seen("b", T, "huawei"),
                seen("c", T + 60_000, "huawei"),
                seen("d", T, "xiaomi"),
                seen("e", T, "huawei")),
            out);
    assertThat(out)
        .extracting(UserDifference::deviceId, UserDifference::kind)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", Kind.MISSING_IN_REAL_TIME),
            org.assertj.core.groups.Tuple.tuple("b", Kind.EXTRA_IN_REAL_TIME),
            org.assertj.core.groups.Tuple.tuple("c", Kind.OTHER_MINUTE),
            org.assertj.core.groups.Tuple.tuple("d", Kind.OTHER_CHANNEL));
    assertThat(r.differing())
        .isEqualTo(
            Map.of(
                Kind.MISSING_IN_REAL_TIME, 1L,
                Kind.EXTRA_IN_REAL_TIME, 1L,
                Kind.OTHER_MINUTE, 1L,
                Kind.OTHER_CHANNEL, 1L));
    assertThat(r.differingUsers()).isEqualTo(4);
    assertThat(r.errorRate()).isEqualTo(1.0);
  }

  @Test
  void anEmptySideMakesEveryUserOfTheOtherADifference() {
    List<UserDifference> out = new ArrayList<>();
    assertThat(compare(List.of(seen("a", T, "c"), seen("b", T, "c")), List.of(), out).errorRate())
        .isEqualTo(1.0);
    assertThat(out).extracting(UserDifference::kind).containsOnly(Kind.MISSING_IN_REAL_TIME);
    FirstSeenComparison.Result onlyRealTime = compare(List.of(), List.of(seen("a", T, "c")), out);
    assertThat(onlyRealTime.errorRate()).isEqualTo(1.0);
    assertThat(compare(List.of(), List.of(), out).errorRate()).isZero();
  }

  @Test
  void aSideOutOfOrderOrMixingProductsIsRefusedNotMisreported() {
    assertThatThrownBy(
            () ->
                compare(
                    List.of(seen("b", T, "c"), seen("a", T, "c")), List.of(), new ArrayList<>()))
        .hasMessageContaining("offline side is not in device order: b before a");
    assertThatThrownBy(
            () ->
                compare(
                    List.of(), List.of(seen("a", T, "c"), seen("a", T, "c")), new ArrayList<>()))
        .hasMessageContaining("real-time side is not in device order");
    assertThatThrownBy(
            () ->
                compare(
                    List.of(seen("a", T, "c"), new FirstSeenRecord("video", "b", T, "c", "ak")),
                    List.of(),
                    new ArrayList<>()))
        .hasMessageContaining("mixes products browser and video");
  }

  @Test
  void deviceOrderIsCodePointOrderAsElasticsearchAndSparkSortNotUtf16Order() {
    String bmpHigh = "\uFFFD";
    String astral = "\uD83D\uDE00"; // U+1F600, beyond U+FFFF
    assertThat(astral.compareTo(bmpHigh)).as("UTF-16 order").isNegative();
    assertThat(KeywordOrder.INSTANCE.compare(astral, bmpHigh)).as("code point order").isPositive();
    TreeSet<String> sorted = new TreeSet<>(KeywordOrder.INSTANCE);
    sorted.addAll(List.of("b", "a", "ab", astral, bmpHigh, "é"));
    assertThat(sorted).containsExactly("a", "ab", "b", "é", bmpHigh, astral);
    assertThat(
            compare(
                    List.of(seen(bmpHigh, T, "c"), seen(astral, T, "c")),
                    List.of(seen(bmpHigh, T, "c"), seen(astral, T, "c")),
                    new ArrayList<>())
                .equal())
        .isTrue();
  }
}
