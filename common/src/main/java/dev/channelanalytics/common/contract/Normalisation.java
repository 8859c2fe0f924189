package dev.channelanalytics.common.contract;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * The normalisation rules of contract section 6 in one place, so that the real-time decoder and the
 * offline Spark and Hive code normalise device ids, channels and event times identically.
 */
public final class Normalisation {

  /** How far before {@code recv_ts} a client {@code ts} is still trusted: 72 hours, inclusive. */
  public static final long MAX_CLIENT_LAG_MS = 72L * 60 * 60 * 1000;

  /** How far after {@code recv_ts} a client {@code ts} is still trusted: 10 minutes, inclusive. */
  public static final long MAX_CLIENT_LEAD_MS = 10L * 60 * 1000;

  /** The channel of a batch that names none. */
  public static final String ORGANIC = "organic";

  private Normalisation() {}

  /**
   * The normalised device id, or null when the contract calls it invalid: missing, blank, or after
   * trimming and lower-casing {@code unknown}, {@code null}, or made only of {@code 0} and {@code
   * -}.
   */
  public static String deviceIdOrNull(String raw) {
    if (raw == null) {
      return null;
    }
    String normalised = raw.strip().toLowerCase(Locale.ROOT);
    if (normalised.isEmpty()
        || normalised.equals("unknown")
        || normalised.equals("null")
        || onlyZerosAndDashes(normalised)) {
      return null;
    }
    return normalised;
  }

  /** The normalised channel: trimmed and lower-cased, {@link #ORGANIC} when null or blank. */
  public static String channel(String rawOrNull) {
    if (rawOrNull == null) {
      return ORGANIC;
    }
    String normalised = rawOrNull.strip();
    return normalised.isEmpty() ? ORGANIC : normalised.toLowerCase(Locale.ROOT);
  }

  /** The earliest trusted client time for a receive time, saturating instead of overflowing. */
  public static long windowStart(long recvTs) {
    return recvTs < Long.MIN_VALUE + MAX_CLIENT_LAG_MS
        ? Long.MIN_VALUE
        : recvTs - MAX_CLIENT_LAG_MS;
  }

  /** The latest trusted client time for a receive time, saturating instead of overflowing. */
  public static long windowEnd(long recvTs) {
    return recvTs > Long.MAX_VALUE - MAX_CLIENT_LEAD_MS
        ? Long.MAX_VALUE
        : recvTs + MAX_CLIENT_LEAD_MS;
  }

  /** Whether a client {@code ts} lies in {@code [recvTs - 72h, recvTs + 10min]}. */
  public static boolean isTrusted(long recvTs, long ts) {
    return windowStart(recvTs) <= ts && ts <= windowEnd(recvTs);
  }

  /**
   * Whether a client {@code ts} of any precision lies in the window; one outside the range of a
   * long never does.
   */
  public static boolean isTrusted(long recvTs, BigDecimal ts) {
    NumberFloor floor = new NumberFloor();
    return floor.parse(ts.toString()) && isTrusted(recvTs, floor);
  }

  /** The event time {@code t}: {@code ts} when trusted, else {@code recvTs}. */
  public static long eventTime(long recvTs, long ts) {
    return isTrusted(recvTs, ts) ? ts : recvTs;
  }

  /**
   * The event time {@code t} for a fractional or huge {@code ts}: its floor when {@code ts} is
   * trusted, else {@code recvTs}.
   */
  public static long eventTime(long recvTs, BigDecimal ts) {
    NumberFloor floor = new NumberFloor();
    return floor.parse(ts.toString()) && isTrusted(recvTs, floor) ? floor.floor : recvTs;
  }

  /**
   * The event time {@code t} for a {@code ts} read as a double, taken at its exact binary value;
   * NaN and infinities are not trusted.
   */
  public static long eventTime(long recvTs, double ts) {
    return Double.isFinite(ts) ? eventTime(recvTs, new BigDecimal(ts)) : recvTs;
  }

  /**
   * Whether a parsed number lies in the window. With integer bounds, {@code ts >= start} holds
   * exactly when {@code floor(ts) >= start}, and {@code ts <= end} when {@code floor(ts) < end} or
   * {@code ts} is the integer {@code end}.
   */
  static boolean isTrusted(long recvTs, NumberFloor ts) {
    if (!ts.inLongRange) {
      return false;
    }
    long end = windowEnd(recvTs);
    return windowStart(recvTs) <= ts.floor && (ts.floor < end || (ts.floor == end && ts.integral));
  }

  /**
   * Why an identifier (app key, device id, channel, product id) breaks the contract's limits, or
   * null: longer than {@link EnvelopeDecoder#MAX_FIELD_CHARACTERS} characters, or holding an
   * unpaired surrogate. The decoder, the mapping parser and {@code ParsedBatch} all ask this.
   */
  public static String identifierProblem(String field, String value) {
    if (tooLong(value)) {
      return field + " is longer than " + EnvelopeDecoder.MAX_FIELD_CHARACTERS + " characters";
    }
    if (hasUnpairedSurrogate(value)) {
      return "an unpaired surrogate escape in " + field;
    }
    return null;
  }

  /**
   * Whether a value is longer than {@link EnvelopeDecoder#MAX_FIELD_CHARACTERS}, counted in
   * characters (code points), not bytes or UTF-16 units.
   */
  static boolean tooLong(String value) {
    return value.length() > EnvelopeDecoder.MAX_FIELD_CHARACTERS
        && value.codePointCount(0, value.length()) > EnvelopeDecoder.MAX_FIELD_CHARACTERS;
  }

  /**
   * Whether a string holds an unpaired surrogate, which only a JSON escape of a lone UTF-16
   * surrogate can produce. Such a string is not Unicode text: Elasticsearch and the warehouse would
   * each store it with a replacement character, so two different ids could become one, differently
   * on each path. The contract's identifiers must be text, so an identifier holding one is rejected
   * like any other invalid value of its field (see the common module's README).
   */
  static boolean hasUnpairedSurrogate(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean onlyZerosAndDashes(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '0' && c != '-') {
        return false;
      }
    }
    return true;
  }
}
