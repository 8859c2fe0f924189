package dev.channelanalytics.testing;

import dev.channelanalytics.common.contract.Keyring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * A keyring file of fresh random keys for one test, written where the jobs under test read it
 * ({@code keyring.file}), and the same keys loaded for the test's simulator and reference model.
 *
 * @param file the keyring file
 * @param keyring its keys
 */
public record TestKeyring(Path file, Keyring keyring) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Writes {@code dir/keyring.json} (mode 0600, as every keyring) with one random 32-byte key per
   * kid (default: {@code k1}).
   */
  public static TestKeyring write(Path dir, String... kids) {
    Path file = dir.resolve("keyring.json");
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Keyring.createFile(file, kids.length == 0 ? new String[] {"k1"} : kids);
    return new TestKeyring(file, Keyring.load(file));
  }
}
