package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Normalisation.MAX_CLIENT_LAG_MS;
import static dev.channelanalytics.common.contract.Normalisation.MAX_CLIENT_LEAD_MS;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NormalisationTest {

  private static final long RECV = 1_795_428_012_345L;

  @Test
  void windowIsSeventyTwoHoursBackAndTenMinutesAhead() {
    assertThat(MAX_CLIENT_LAG_MS).isEqualTo(259_200_000L);
    assertThat(MAX_CLIENT_LEAD_MS).isEqualTo(600_000L);
  }

  @Test
  void deviceIdIsTrimmedAndLowerCased() {
    assertThat(Normalisation.deviceIdOrNull("  9F1C-AbCd\t")).isEqualTo("9f1c-abcd");
    assertThat(Normalisation.deviceIdOrNull("\u2003ID\u2003")).isEqualTo("id");
  }

  @Test
  void deviceIdLowerCasingIgnoresTheDefaultLocale() {
    assertThat(Normalisation.deviceIdOrNull("DEVICE-I")).isEqualTo("device-i");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "   ", "unknown", "UNKNOWN", " NULL ", "null", "000-000", "0", "-", "--", "0000"
      })
  void placeholderDeviceIdsAreInvalid(String raw) {
    assertThat(Normalisation.deviceIdOrNull(raw)).isNull();
  }

  @Test
  void nullDeviceIdIsInvalid() {
    assertThat(Normalisation.deviceIdOrNull(null)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"00a0", "0-1", "unknown1", "nullx", "a"})
  void deviceIdsThatOnlyResemblePlaceholdersAreValid(String raw) {
    assertThat(Normalisation.deviceIdOrNull(raw)).isEqualTo(raw);
  }

  @Test
  void channelIsTrimmedAndLowerCasedAndBlankBecomesOrganic() {
    assertThat(Normalisation.channel(" Huawei_Store ")).isEqualTo("huawei_store");
    assertThat(Normalisation.channel("")).isEqualTo("organic");
    assertThat(Normalisation.channel(" \t ")).isEqualTo("organic");
    assertThat(Normalisation.channel(null)).isEqualTo("organic");
  }

  @Test
  void tsExactlySeventyTwoHoursBeforeReceiptIsKept() {
    long ts = RECV - MAX_CLIENT_LAG_MS;
    assertThat(Normalisation.eventTime(RECV, ts)).isEqualTo(ts);
    assertThat(Normalisation.isTrusted(RECV, ts)).isTrue();
  }

  @Test
  void tsOneMillisecondBeforeTheWindowIsReplacedByReceiveTime() {
    long ts = RECV - MAX_CLIENT_LAG_MS - 1;
    assertThat(Normalisation.eventTime(RECV, ts)).isEqualTo(RECV);
    assertThat(Normalisation.isTrusted(RECV, ts)).isFalse();
  }

  @Test
  void tsExactlyTenMinutesAfterReceiptIsKept() {
    long ts = RECV + MAX_CLIENT_LEAD_MS;
    assertThat(Normalisation.eventTime(RECV, ts)).isEqualTo(ts);
  }

  @Test
  void tsOneMillisecondAfterTheWindowIsReplacedByReceiveTime() {
    assertThat(Normalisation.eventTime(RECV, RECV + MAX_CLIENT_LEAD_MS + 1)).isEqualTo(RECV);
  }

  @ParameterizedTest
  @CsvSource({
    // offset from RECV as decimal text, expected offset of the event time (null: replaced)
    "0.5, 0",
    "-0.5, -1",
    "-259200000.0, -259200000",
    "-259199999.999, -259200000",
    "-259200000.001, ",
    "600000.000, 600000",
    "599999.999999999999999999, 599999",
    "600000.000000000000000001, ",
  })
  void fractionalTsIsFlooredInsideTheWindowAndComparedExactly(String offset, Long expected) {
    BigDecimal ts = new BigDecimal(RECV).add(new BigDecimal(offset));
    long want = expected == null ? RECV : RECV + expected;
    assertThat(Normalisation.eventTime(RECV, ts)).isEqualTo(want);
    assertThat(Normalisation.isTrusted(RECV, ts)).isEqualTo(expected != null);
  }

  @Test
  void tsBeyondTheRangeOfLongIsOutsideTheWindow() {
    BigDecimal huge = new BigDecimal("1e400");
    assertThat(Normalisation.eventTime(RECV, huge)).isEqualTo(RECV);
    assertThat(
            Normalisation.eventTime(
                Long.MAX_VALUE, new BigDecimal(Long.MAX_VALUE).add(BigDecimal.ONE)))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(Normalisation.eventTime(Long.MAX_VALUE, new BigDecimal("9223372036854775807.5")))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(Normalisation.eventTime(Long.MIN_VALUE, new BigDecimal("-9223372036854775808.5")))
        .isEqualTo(Long.MIN_VALUE);
    assertThat(Normalisation.eventTime(Long.MIN_VALUE, new BigDecimal(Long.MIN_VALUE)))
        .isEqualTo(Long.MIN_VALUE);
  }

  @Test
  void windowBoundsSaturateInsteadOfOverflowing() {
    assertThat(Normalisation.windowStart(Long.MIN_VALUE + 5)).isEqualTo(Long.MIN_VALUE);
    assertThat(Normalisation.windowEnd(Long.MAX_VALUE - 5)).isEqualTo(Long.MAX_VALUE);
    assertThat(Normalisation.eventTime(Long.MIN_VALUE + 5, Long.MIN_VALUE))
        .isEqualTo(Long.MIN_VALUE);
    assertThat(Normalisation.eventTime(Long.MAX_VALUE - 5, Long.MAX_VALUE))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(Normalisation.eventTime(Long.MAX_VALUE, Long.MIN_VALUE)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void tinyOrHugeExponentsAreDecidedWithoutExpanding() {
    long recvNearZero = 1_000;
    assertThat(Normalisation.eventTime(recvNearZero, new BigDecimal("1e-999999999"))).isZero();
    assertThat(Normalisation.eventTime(recvNearZero, new BigDecimal("-1e-999999999")))
        .isEqualTo(-1);
    assertThat(Normalisation.eventTime(recvNearZero, new BigDecimal("0e999999999"))).isZero();
    assertThat(Normalisation.eventTime(recvNearZero, new BigDecimal("1e999999999")))
        .isEqualTo(recvNearZero);
  }

  @Test
  void doubleTsIsTakenAtItsExactValue() {
    assertThat(Normalisation.eventTime(RECV, (double) RECV + 0.25)).isEqualTo(RECV);
    assertThat(Normalisation.eventTime(RECV, (double) (RECV - 1) + 0.75)).isEqualTo(RECV - 1);
    assertThat(Normalisation.eventTime(RECV, Double.NaN)).isEqualTo(RECV);
    assertThat(Normalisation.eventTime(RECV, Double.POSITIVE_INFINITY)).isEqualTo(RECV);
    assertThat(Normalisation.eventTime(RECV, 1e300)).isEqualTo(RECV);
  }

  @ParameterizedTest
  @CsvSource({
    "0, true, 0, true",
    "-0, true, 0, true",
    "-0.0e5, true, 0, true",
    "12.000, true, 12, true",
    "12.010, true, 12, false",
    "-12.010, true, -13, false",
    "1.5E+3, true, 1500, true",
    "15e-1, true, 1, false",
    "0.00012e4, true, 1, false",
    "9223372036854775807, true, 9223372036854775807, true",
    "9223372036854775808, false, 0, true",
    "-9223372036854775808, true, -9223372036854775808, true",
    "-9223372036854775808.1, false, 0, false",
    "92233720368547758070e-1, true, 9223372036854775807, true",
    "1e19, false, 0, true",
    "-1e400, false, 0, true",
    "1e18, true, 1000000000000000000, true",
  })
  void numberFloorIsExact(String text, boolean inRange, long floor, boolean integral) {
    NumberFloor number = new NumberFloor();
    assertThat(number.parse(text)).isTrue();
    assertThat(number.inLongRange).as("in long range").isEqualTo(inRange);
    if (inRange) {
      assertThat(number.floor).isEqualTo(floor);
      assertThat(number.integral).as("integral").isEqualTo(integral);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-", "1.", ".5", "1e", "1e+", "abc", "1x", "--1"})
  void numberFloorRejectsMalformedText(String text) {
    assertThat(new NumberFloor().parse(text)).isFalse();
  }
}
