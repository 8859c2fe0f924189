package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipReaderTest {

  private static final byte[] TEXT = utf8("{\"app_key\":\"ak\",\"events\":[]} ".repeat(20));

  private final GzipReader reader = new GzipReader(1024 * 1024);

  @Test
  void readsWhatGzipOutputStreamWrites() throws Exception {
    assertThat(gunzip(jdkGzip(TEXT))).isEqualTo(TEXT);
  }

  @Test
  void readsEmptyContent() throws Exception {
    assertThat(gunzip(jdkGzip(new byte[0]))).isEmpty();
  }

  @Test
  void skipsExtraNameAndCommentAndChecksHeaderCrc() throws Exception {
    byte[] member = member(TEXT, 0x02 | 0x04 | 0x08 | 0x10);
    assertThat(gunzip(member)).isEqualTo(TEXT);
  }

  @Test
  void headerCrcMismatchFails() {
    byte[] member = member(TEXT, 0x02 | 0x08);
    int headerCrcAt = 10 + "name.json".length() + 1;
    member[headerCrcAt] ^= 1;
    assertFails(member, "gzip header CRC mismatch");
  }

  @Test
  void concatenatedMembersAreJoined() throws Exception {
    byte[] first = jdkGzip(utf8("{\"a\":"));
    byte[] second = member(utf8("[1,2]}"), 0x08);
    assertThat(new String(gunzip(concat(first, second)), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{\"a\":[1,2]}");
  }

  @Test
  void trailingGarbageAfterAMemberFails() {
    assertFails(concat(jdkGzip(TEXT), new byte[] {0, 0}), "truncated gzip header");
    assertFails(concat(jdkGzip(TEXT), new byte[12]), "not gzip: bad magic bytes");
  }

  @Test
  void crcMismatchFails() {
    byte[] gzip = jdkGzip(TEXT);
    gzip[gzip.length - 8] ^= 1;
    assertFails(gzip, "CRC32 mismatch");
  }

  @Test
  void sizeMismatchFails() {
    byte[] gzip = jdkGzip(TEXT);
    gzip[gzip.length - 4] ^= 1;
    assertFails(gzip, "ISIZE mismatch");
  }

  @Test
  void reservedFlagsFail() {
    byte[] gzip = jdkGzip(TEXT);
    gzip[3] = (byte) 0x20;
    assertFails(gzip, "reserved gzip header flags set");
  }

  @Test
  void otherCompressionMethodFails() {
    byte[] gzip = jdkGzip(TEXT);
    gzip[2] = 7;
    assertFails(gzip, "unsupported gzip compression method 7");
  }

  @Test
  void emptyInputFails() {
    assertFails(new byte[0], "empty gzip stream");
  }

  @Test
  void everyTruncationFailsCleanly() {
    byte[] gzip = member(TEXT, 0x02 | 0x04 | 0x08 | 0x10);
    for (int length = 0; length < gzip.length; length++) {
      byte[] prefix = Arrays.copyOf(gzip, length);
      assertThatThrownBy(() -> reader.gunzip(prefix, 0, prefix.length))
          .as("prefix of %d bytes", length)
          .isInstanceOf(GzipReader.GzipException.class);
    }
  }

  @Test
  void outputBeyondTheLimitFails() {
    GzipReader small = new GzipReader(100);
    byte[] gzip = jdkGzip(new byte[101]);
    assertThatThrownBy(() -> small.gunzip(gzip, 0, gzip.length))
        .hasMessage("too large: inflates to more than 100 bytes");
  }

  @Test
  void outputExactlyAtTheLimitIsRead() throws Exception {
    GzipReader small = new GzipReader(100);
    byte[] gzip = jdkGzip(new byte[100]);
    assertThat(small.gunzip(gzip, 0, gzip.length)).isEqualTo(100);
  }

  @Test
  void readerIsReusableAfterFailuresAndGrowsItsBuffer() throws Exception {
    Random random = new Random(7);
    for (int i = 0; i < 200; i++) {
      byte[] content = new byte[random.nextInt(40_000)];
      random.nextBytes(content);
      byte[] gzip = jdkGzip(content);
      if (i % 3 == 0) {
        gzip[random.nextInt(gzip.length)] ^= (byte) (1 + random.nextInt(255));
        try {
          reader.gunzip(gzip, 0, gzip.length);
        } catch (GzipReader.GzipException expected) {
          // Either outcome is fine for a random corruption; the next read must still work.
        }
      } else {
        assertThat(gunzip(gzip)).isEqualTo(content);
      }
    }
  }

  @Test
  void readsFromAnOffsetIntoTheInput() throws Exception {
    byte[] gzip = concat(new byte[] {9, 9, 9}, jdkGzip(TEXT));
    int length = reader.gunzip(gzip, 3, gzip.length - 3);
    assertThat(Arrays.copyOf(reader.output(), length)).isEqualTo(TEXT);
  }

  private byte[] gunzip(byte[] gzip) throws GzipReader.GzipException {
    int length = reader.gunzip(gzip, 0, gzip.length);
    return Arrays.copyOf(reader.output(), length);
  }

  private void assertFails(byte[] gzip, String message) {
    assertThatThrownBy(() -> reader.gunzip(gzip, 0, gzip.length))
        .isInstanceOf(GzipReader.GzipException.class)
        .hasMessage(message);
  }

  private static byte[] jdkGzip(byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(content);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  /** One RFC 1952 member written by hand, with the optional header fields the flags ask for. */
  private static byte[] member(byte[] content, int flags) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flags, 1, 2, 3, 4, 0, 3});
    if ((flags & 0x04) != 0) {
      out.writeBytes(new byte[] {5, 0, 'A', 'B', 3, 0, 'x'});
    }
    if ((flags & 0x08) != 0) {
      out.writeBytes(utf8("name.json\0"));
    }
    if ((flags & 0x10) != 0) {
      out.writeBytes(utf8("a comment\0"));
    }
    if ((flags & 0x02) != 0) {
      CRC32 headerCrc = new CRC32();
      headerCrc.update(out.toByteArray());
      int crc16 = (int) headerCrc.getValue() & 0xffff;
      out.write(crc16 & 0xff);
      out.write(crc16 >>> 8);
    }
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(content);
    deflater.finish();
    byte[] buffer = new byte[content.length + 64];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    CRC32 crc = new CRC32();
    crc.update(content);
    writeIntLe(out, (int) crc.getValue());
    writeIntLe(out, content.length);
    return out.toByteArray();
  }

  private static void writeIntLe(ByteArrayOutputStream out, int value) {
    for (int i = 0; i < 4; i++) {
      out.write(value >>> (8 * i));
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] joined = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}
