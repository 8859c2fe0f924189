package dev.channelanalytics.common.contract;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A strict UTF-8 check for JSON input, because Jackson does not decode the strings it skips and
 * would guess UTF-16 or UTF-32 from zero bytes.
 */
final class Utf8 {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long LOW_BITS = 0x0101010101010101L;

  private Utf8() {}

  /**
   * Whether the bytes are well-formed UTF-8 (no overlong forms, surrogates or code points beyond
   * U+10FFFF) without NUL bytes, which JSON never holds unescaped.
   */
  static boolean isJsonText(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end) {
      // Eight ASCII bytes at a time: no high bit set and no zero byte.
      if (i + Long.BYTES <= end) {
        long word = (long) LONGS.get(b, i);
        if ((word & HIGH_BITS) == 0 && ((word - LOW_BITS) & ~word & HIGH_BITS) == 0) {
          i += Long.BYTES;
          continue;
        }
      }
      int c = b[i];
      if (c > 0) {
        i++;
        continue;
      }
      if (c == 0) {
        return false;
      }
      c &= 0xff;
      if (c < 0xc2) {
        return false;
      } else if (c < 0xe0) {
        if (i + 1 >= end || !isContinuation(b[i + 1])) {
          return false;
        }
        i += 2;
      } else if (c < 0xf0) {
        if (i + 2 >= end || !isContinuation(b[i + 1]) || !isContinuation(b[i + 2])) {
          return false;
        }
        int second = b[i + 1] & 0xff;
        if ((c == 0xe0 && second < 0xa0) || (c == 0xed && second >= 0xa0)) {
          return false;
        }
        i += 3;
      } else if (c < 0xf5) {
        if (i + 3 >= end
            || !isContinuation(b[i + 1])
            || !isContinuation(b[i + 2])
            || !isContinuation(b[i + 3])) {
          return false;
        }
        int second = b[i + 1] & 0xff;
        if ((c == 0xf0 && second < 0x90) || (c == 0xf4 && second >= 0x90)) {
          return false;
        }
        i += 4;
      } else {
        return false;
      }
    }
    return true;
  }

  private static boolean isContinuation(byte b) {
    return (b & 0xc0) == 0x80;
  }
}
