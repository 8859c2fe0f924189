package dev.channelanalytics.common.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {

  @Test
  void agreesWithTheJdkDecoderOnRandomBytes() {
    Random random = new Random(21);
    byte[] interesting = {
      0x00,
      0x41,
      0x7f,
      (byte) 0x80,
      (byte) 0xbf,
      (byte) 0xc0,
      (byte) 0xc2,
      (byte) 0xdf,
      (byte) 0xe0,
      (byte) 0xa0,
      (byte) 0xed,
      (byte) 0x9f,
      (byte) 0xef,
      (byte) 0xf0,
      (byte) 0x90,
      (byte) 0xf4,
      (byte) 0x8f,
      (byte) 0xf5,
      (byte) 0xff
    };
    for (int i = 0; i < 200_000; i++) {
      byte[] bytes = new byte[random.nextInt(24)];
      for (int j = 0; j < bytes.length; j++) {
        bytes[j] =
            random.nextInt(3) == 0 ? (byte) 'a' : interesting[random.nextInt(interesting.length)];
      }
      assertThat(Utf8.isJsonText(bytes, 0, bytes.length))
          .as("case %d", i)
          .isEqualTo(jdkAccepts(bytes));
    }
  }

  @Test
  void acceptsAsciiMultiByteAndFourByteText() {
    byte[] text = "{\"k\":\"plain ascii, é, 中文, 😀\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8.isJsonText(text, 0, text.length)).isTrue();
  }

  @Test
  void rejectsNulSurrogatesAndOverlongForms() {
    byte[][] bad = {
      {'a', 0, 'b'},
      {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
      {(byte) 0xc0, (byte) 0xaf},
      {(byte) 0xe0, (byte) 0x80, (byte) 0xaf},
      {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {'a', 'b', 'c', 'd', 'e', 'f', 'g', (byte) 0xc3}
    };
    for (byte[] bytes : bad) {
      assertThat(Utf8.isJsonText(bytes, 0, bytes.length)).isFalse();
    }
  }

  @Test
  void checksOnlyTheGivenRange() {
    byte[] bytes = {(byte) 0xff, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', (byte) 0xff};
    assertThat(Utf8.isJsonText(bytes, 1, 9)).isTrue();
    assertThat(Utf8.isJsonText(bytes, 1, 10)).isFalse();
  }

  private static boolean jdkAccepts(byte[] bytes) {
    for (byte b : bytes) {
      if (b == 0) {
        return false;
      }
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
