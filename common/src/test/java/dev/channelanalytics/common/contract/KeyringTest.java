package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.KEY_1;
import static dev.channelanalytics.common.contract.Fixtures.KEY_2;
import static dev.channelanalytics.common.contract.Fixtures.base64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyringTest {

  private static final String KEY_1_TEXT = base64(KEY_1);
  private static final String KEY_2_TEXT = base64(KEY_2);

  @Test
  void readsKidsAndKeysFromJson() {
    Keyring keyring =
        Keyring.fromJson("{\"k2\":\"" + KEY_2_TEXT + "\",\"k1\":\"" + KEY_1_TEXT + "\"}");
    assertThat(keyring.keyIds()).containsExactly("k1", "k2");
    assertThat(keyring.contains("k1")).isTrue();
    assertThat(keyring.contains("k3")).isFalse();
    assertThat(keyring.contains(null)).isFalse();
    assertThat(keyring.key("k2").getEncoded()).isEqualTo(KEY_2);
    assertThat(keyring.key("k2").getAlgorithm()).isEqualTo("AES");
  }

  @Test
  void loadsAKeyringFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keyring.json");
    Files.writeString(file, "{\"k1\":\"" + KEY_1_TEXT + "\"}\n");
    assertThat(Keyring.load(file).keyIds()).containsExactly("k1");
  }

  @Test
  void missingFileIsNamedInTheError(@TempDir Path dir) {
    Path file = dir.resolve("absent.json");
    assertThatThrownBy(() -> Keyring.load(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absent.json");
  }

  @Test
  void badBase64NamesTheKidButNotTheKey() {
    String badKey = KEY_1_TEXT.substring(0, 10) + "%" + KEY_1_TEXT.substring(11);
    assertThatThrownBy(() -> Keyring.fromJson("{\"k1\":\"" + badKey + "\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key k1 is not valid standard base64")
        .hasNoCause();
  }

  @Test
  void wrongLengthNamesTheKidAndTheLength() {
    String shortKey = base64(new byte[16]);
    assertThatThrownBy(
            () -> Keyring.fromJson("{\"k1\":\"" + KEY_1_TEXT + "\",\"k2\":\"" + shortKey + "\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("key k2 is 16 bytes, expected 32");
    assertThatThrownBy(() -> Keyring.of(Map.of("k3", new byte[33])))
        .hasMessage("key k3 is 33 bytes, expected 32");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "\"k1\"", "7", "null", ""})
  void jsonThatIsNotAnObjectIsRejected(String json) {
    assertThatThrownBy(() -> Keyring.fromJson(json))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("keyring must be a JSON object");
  }

  @Test
  void nonStringKeyIsRejected() {
    assertThatThrownBy(() -> Keyring.fromJson("{\"k1\":12345}"))
        .hasMessage("key k1 must be a base64 string");
  }

  @Test
  void emptyKeyringAndBlankKidAreRejected() {
    assertThatThrownBy(() -> Keyring.fromJson("{}")).hasMessage("keyring has no keys");
    assertThatThrownBy(() -> Keyring.of(Map.of(" ", KEY_1))).hasMessage("kid must not be blank");
  }

  @Test
  void brokenJsonDoesNotQuoteTheKeyText() {
    String[] broken = {
      "{\"k1\":\"" + KEY_1_TEXT + "\"",
      "{\"k1\":" + KEY_1_TEXT + "}",
      "{\"k1\":\"" + KEY_1_TEXT + "\"} " + KEY_2_TEXT,
      "{'k1':'" + KEY_1_TEXT + "'}"
    };
    for (String json : broken) {
      assertThatThrownBy(() -> Keyring.fromJson(json))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("keyring is not valid JSON")
          .hasNoCause()
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY_1_TEXT.substring(0, 8)))
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(KEY_2_TEXT.substring(0, 8)));
    }
  }

  @Test
  void toStringShowsOnlyKids() {
    Keyring keyring = Keyring.of(Map.of("k1", KEY_1, "k2", KEY_2));
    assertThat(keyring.toString())
        .isEqualTo("Keyring[k1, k2]")
        .doesNotContain(KEY_1_TEXT.substring(0, 8));
  }

  @Test
  void unknownKidFailsWithoutKeyMaterial() {
    Keyring keyring = Keyring.of(Map.of("k1", KEY_1));
    assertThatThrownBy(() -> keyring.key("k2")).hasMessage("unknown key k2");
    assertThat(keyring.keyOrNull("k2")).isNull();
  }

  @Test
  void keysAreCopiedFromTheCallersArrays() {
    byte[] key = KEY_1.clone();
    Keyring keyring = Keyring.of(Map.of("k1", key));
    key[0] ^= 1;
    assertThat(keyring.key("k1").getEncoded()).isEqualTo(KEY_1);
  }

  @Test
  void survivesJavaSerialization() throws Exception {
    Keyring keyring = Keyring.of(Map.of("k1", KEY_1, "k2", KEY_2));
    Keyring copy = Fixtures.serializedCopy(keyring);
    assertThat(copy.keyIds()).containsExactly("k1", "k2");
    assertThat(copy.key("k1").getEncoded()).isEqualTo(KEY_1);
    assertThat(copy.toString()).isEqualTo("Keyring[k1, k2]");
  }
}
