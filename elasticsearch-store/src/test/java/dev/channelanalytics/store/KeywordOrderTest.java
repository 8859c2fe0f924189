package dev.channelanalytics.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Code point order is the UTF-8 byte order Elasticsearch sorts keywords in. */
class KeywordOrderTest {
  @Test
  void channelsCompareInTheByteOrderOfTheirUtf8LikeElasticsearchKeywords() {
    List<String> samples =
        new ArrayList<>(List.of("", "a", "ab", "b", "Z", "é", "频道", "\uFFFD", "\uD83D\uDE80", "~"));
    Random random = new Random(7);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder s = new StringBuilder();
      for (int c = random.nextInt(4); c > 0; c--) {
        int cp =
            switch (random.nextInt(4)) {
              case 0 -> 'a' + random.nextInt(26);
              case 1 -> 0xE000 + random.nextInt(0x1000); // above the surrogates, below U+FFFF
              case 2 -> 0x10000 + random.nextInt(0x1000); // beyond the BMP (a surrogate pair)
              default -> 0x80 + random.nextInt(0x700);
            };
        s.appendCodePoint(cp);
      }
      samples.add(s.toString());
    }
    for (String a : samples) {
      for (String b : samples.subList(0, 200)) {
        assertThat(Integer.signum(KeywordOrder.INSTANCE.compare(a, b)))
            .as("%s vs %s", a, b)
            .isEqualTo(Integer.signum(bytes(a, b)));
      }
    }
  }

  private static int bytes(String a, String b) {
    return Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
