package dev.channelanalytics.common.contract;

/**
 * The floor of a decimal number written as JSON number text, computed exactly from the digits.
 *
 * <p>A client may send {@code ts} as a fraction, with an exponent or with more digits than a long
 * holds; going through {@code double} or {@code BigDecimal} would round near the window bounds or
 * cost time and memory for hostile exponents such as {@code 1e-999999999}. Reusable: the decoder
 * keeps one instance, so the result is held in fields.
 */
final class NumberFloor {

  /** Beyond this many integer digits a value is at least 10^19, outside the range of a long. */
  private static final int MAX_LONG_DIGITS = 19;

  private static final long EXPONENT_CAP = 1_000_000_000_000_000L;

  /** Whether the floor of the last parsed number fits in a long. */
  boolean inLongRange;

  /** The floor of the last parsed number, when {@link #inLongRange}. */
  long floor;

  /**
   * Whether the last parsed number had no fractional part; meaningful when {@link #inLongRange}.
   */
  boolean integral;

  /**
   * Parses JSON number text; {@code E} and a {@code +} exponent sign are accepted so that {@link
   * java.math.BigDecimal#toString()} output parses too.
   *
   * @return false when the text is not a number
   */
  boolean parse(CharSequence text) {
    int len = text.length();
    int i = 0;
    boolean negative = false;
    if (i < len && text.charAt(i) == '-') {
      negative = true;
      i++;
    }
    int intStart = i;
    while (i < len && isDigit(text.charAt(i))) {
      i++;
    }
    int intEnd = i;
    if (intEnd == intStart) {
      return false;
    }
    int fracStart = i;
    int fracEnd = i;
    if (i < len && text.charAt(i) == '.') {
      i++;
      fracStart = i;
      while (i < len && isDigit(text.charAt(i))) {
        i++;
      }
      fracEnd = i;
      if (fracEnd == fracStart) {
        return false;
      }
    }
    long exponent = 0;
    if (i < len && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
      i++;
      boolean negativeExponent = false;
      if (i < len && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
        negativeExponent = text.charAt(i) == '-';
        i++;
      }
      int expStart = i;
      while (i < len && isDigit(text.charAt(i))) {
        // Saturating: any exponent this large already decides the outcome.
        if (exponent < EXPONENT_CAP) {
          exponent = exponent * 10 + (text.charAt(i) - '0');
        }
        i++;
      }
      if (i == expStart) {
        return false;
      }
      if (negativeExponent) {
        exponent = -exponent;
      }
    }
    if (i != len) {
      return false;
    }

    int intDigits = intEnd - intStart;
    int totalDigits = intDigits + (fracEnd - fracStart);
    int firstNonZero = -1;
    for (int k = 0; k < totalDigits; k++) {
      if (digit(text, k, intStart, intDigits, fracStart) != 0) {
        firstNonZero = k;
        break;
      }
    }
    if (firstNonZero < 0) {
      inLongRange = true;
      floor = 0;
      integral = true;
      return true;
    }
    // Number of digits before the decimal point, counted from the first significant digit.
    long integerDigits = intDigits + exponent - firstNonZero;
    if (integerDigits <= 0) {
      inLongRange = true;
      integral = false;
      floor = negative ? -1 : 0;
      return true;
    }
    if (integerDigits > MAX_LONG_DIGITS) {
      inLongRange = false;
      return true;
    }
    int pointAt = firstNonZero + (int) integerDigits;
    // Accumulated negatively so that Long.MIN_VALUE is reachable.
    long accumulated = 0;
    boolean fits = true;
    for (int k = firstNonZero; k < pointAt && fits; k++) {
      int d = k < totalDigits ? digit(text, k, intStart, intDigits, fracStart) : 0;
      try {
        accumulated = Math.subtractExact(Math.multiplyExact(accumulated, 10), d);
      } catch (ArithmeticException overflow) {
        fits = false;
      }
    }
    boolean fraction = false;
    for (int k = pointAt; k < totalDigits; k++) {
      if (digit(text, k, intStart, intDigits, fracStart) != 0) {
        fraction = true;
        break;
      }
    }
    integral = !fraction;
    if (fits && negative && fraction) {
      fits = accumulated != Long.MIN_VALUE;
      accumulated -= 1;
    } else if (fits && !negative) {
      fits = accumulated != Long.MIN_VALUE;
      accumulated = -accumulated;
    }
    inLongRange = fits;
    floor = fits ? accumulated : 0;
    return true;
  }

  private static int digit(CharSequence text, int k, int intStart, int intDigits, int fracStart) {
    return (k < intDigits ? text.charAt(intStart + k) : text.charAt(fracStart + k - intDigits))
        - '0';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
