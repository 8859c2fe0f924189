package dev.channelanalytics.common.contract;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A gunzip over byte arrays that reuses one {@link Inflater} and one output buffer across records,
 * because {@code GZIPInputStream} allocates a native inflater and stream buffers per use.
 *
 * <p>Reads RFC 1952 members including the FEXTRA, FNAME, FCOMMENT and FHCRC header fields, checks
 * CRC32 and ISIZE, and reads concatenated members as one output. Anything after a member that is
 * not another valid member is an error rather than ignored, so that a damaged payload is rejected
 * instead of half-read. Not thread-safe.
 */
final class GzipReader {

  /** Thrown for a corrupt, truncated or oversized gzip stream; the message is the reason. */
  static final class GzipException extends Exception {
    private static final long serialVersionUID = 1L;

    GzipException(String message) {
      super(message, null, false, false);
    }
  }

  private static final int FHCRC = 0x02;
  private static final int FEXTRA = 0x04;
  private static final int FNAME = 0x08;
  private static final int FCOMMENT = 0x10;
  private static final int RESERVED = 0xe0;
  private static final int HEADER_BYTES = 10;
  private static final int TRAILER_BYTES = 8;
  private static final int INITIAL_BUFFER = 8 * 1024;

  /** Larger buffers are not kept between records, so one huge payload does not pin memory. */
  private static final int RETAINED_BUFFER = 1024 * 1024;

  private final int maxOutput;
  private final Inflater inflater = new Inflater(true);
  private final CRC32 crc = new CRC32();
  private byte[] out = new byte[INITIAL_BUFFER];

  /**
   * @param maxOutput the largest inflated size accepted, over all members
   */
  GzipReader(int maxOutput) {
    this.maxOutput = maxOutput;
  }

  /** The buffer holding the output of the last {@link #gunzip}; valid until the next call. */
  byte[] output() {
    return out;
  }

  /**
   * Gunzips {@code in[off, off + len)} into {@link #output()}.
   *
   * @return the number of output bytes
   */
  int gunzip(byte[] in, int off, int len) throws GzipException {
    if (out.length > RETAINED_BUFFER) {
      out = new byte[INITIAL_BUFFER];
    }
    int end = off + len;
    int pos = off;
    int produced = 0;
    if (len == 0) {
      throw new GzipException("empty gzip stream");
    }
    while (pos < end) {
      pos = readHeader(in, pos, end);
      int memberStart = produced;
      inflater.reset();
      inflater.setInput(in, pos, end - pos);
      try {
        while (!inflater.finished()) {
          if (produced == out.length) {
            grow(produced);
          }
          int n = inflater.inflate(out, produced, out.length - produced);
          produced += n;
          if (produced > maxOutput) {
            throw new GzipException("too large: inflates to more than " + maxOutput + " bytes");
          }
          if (n == 0 && !inflater.finished() && produced < out.length) {
            // With room left, no output means the input ran out (or wants a dictionary).
            throw new GzipException(
                inflater.needsDictionary()
                    ? "deflate data needs a preset dictionary"
                    : "truncated deflate data");
          }
        }
      } catch (DataFormatException e) {
        throw new GzipException("corrupt deflate data");
      }
      pos = end - inflater.getRemaining();
      if (end - pos < TRAILER_BYTES) {
        throw new GzipException("truncated gzip trailer");
      }
      crc.reset();
      crc.update(out, memberStart, produced - memberStart);
      if ((int) crc.getValue() != readIntLe(in, pos)) {
        throw new GzipException("CRC32 mismatch");
      }
      if (produced - memberStart != readIntLe(in, pos + 4)) {
        throw new GzipException("ISIZE mismatch");
      }
      pos += TRAILER_BYTES;
    }
    return produced;
  }

  /** Reads one member header at {@code pos} and returns where its deflate data starts. */
  private int readHeader(byte[] in, int start, int end) throws GzipException {
    if (end - start < HEADER_BYTES) {
      throw new GzipException("truncated gzip header");
    }
    if ((in[start] & 0xff) != 0x1f || (in[start + 1] & 0xff) != 0x8b) {
      throw new GzipException("not gzip: bad magic bytes");
    }
    if (in[start + 2] != 8) {
      throw new GzipException("unsupported gzip compression method " + (in[start + 2] & 0xff));
    }
    int flags = in[start + 3] & 0xff;
    if ((flags & RESERVED) != 0) {
      throw new GzipException("reserved gzip header flags set");
    }
    int pos = start + HEADER_BYTES;
    if ((flags & FEXTRA) != 0) {
      if (end - pos < 2) {
        throw new GzipException("truncated gzip extra field");
      }
      int extraLength = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8;
      pos += 2;
      if (end - pos < extraLength) {
        throw new GzipException("truncated gzip extra field");
      }
      pos += extraLength;
    }
    if ((flags & FNAME) != 0) {
      pos = skipZeroTerminated(in, pos, end, "file name");
    }
    if ((flags & FCOMMENT) != 0) {
      pos = skipZeroTerminated(in, pos, end, "comment");
    }
    if ((flags & FHCRC) != 0) {
      if (end - pos < 2) {
        throw new GzipException("truncated gzip header CRC");
      }
      crc.reset();
      crc.update(in, start, pos - start);
      int expected = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8;
      if (((int) crc.getValue() & 0xffff) != expected) {
        throw new GzipException("gzip header CRC mismatch");
      }
      pos += 2;
    }
    return pos;
  }

  private static int skipZeroTerminated(byte[] in, int pos, int end, String what)
      throws GzipException {
    while (pos < end) {
      if (in[pos++] == 0) {
        return pos;
      }
    }
    throw new GzipException("unterminated gzip " + what);
  }

  private void grow(int used) throws GzipException {
    int limit = maxOutput + 1;
    if (out.length >= limit) {
      throw new GzipException("too large: inflates to more than " + maxOutput + " bytes");
    }
    byte[] bigger = new byte[(int) Math.min(limit, Math.max(INITIAL_BUFFER, 2L * out.length))];
    System.arraycopy(out, 0, bigger, 0, used);
    out = bigger;
  }

  private static int readIntLe(byte[] in, int pos) {
    return (in[pos] & 0xff)
        | (in[pos + 1] & 0xff) << 8
        | (in[pos + 2] & 0xff) << 16
        | (in[pos + 3] & 0xff) << 24;
  }
}
