package dev.channelanalytics.testing;

import dev.channelanalytics.common.contract.Keyring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A keyring file of fresh random keys for one test, written where the jobs under test read it
 * ({@code keyring.file}), and the same keys loaded for the test's simulator and reference model.
 *
 * @param file the keyring file
 * @param keyring its keys
 */
public record TestKeyring(Path file, Keyring keyring) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Writes {@code dir/keyring.json} with one random 32-byte key per kid (default: {@code k1}). */
  public static TestKeyring write(Path dir, String... kids) {
    Map<String, String> keys = new LinkedHashMap<>();
    for (String kid : kids.length == 0 ? new String[] {"k1"} : kids) {
      byte[] key = new byte[32];
      RANDOM.nextBytes(key);
      keys.put(kid, Base64.getEncoder().encodeToString(key));
    }
    StringBuilder json = new StringBuilder("{");
    keys.forEach(
        (kid, key) ->
            json.append(json.length() > 1 ? "," : "")
                .append('"')
                .append(kid)
                .append("\":\"")
                .append(key)
                .append('"'));
    Path file = dir.resolve("keyring.json");
    try {
      Files.createDirectories(dir);
      Files.writeString(file, json.append('}'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new TestKeyring(file, Keyring.load(file));
  }
}
