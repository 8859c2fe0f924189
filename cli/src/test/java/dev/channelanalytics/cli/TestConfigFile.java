package dev.channelanalytics.cli;

import dev.channelanalytics.testing.TestKeyring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test's {@code channel.properties}: its settings, a fresh keyring beside it, and the local
 * default's API access (reports without a token; an admin token file that {@code up} creates).
 */
final class TestConfigFile {
  private TestConfigFile() {}

  /** Writes {@code dir/channel.properties} with {@code settings} and {@code keyring.file}. */
  static Path write(Path dir, String... settings) throws IOException {
    List<String> lines = new ArrayList<>(List.of(settings));
    lines.add("keyring.file=" + TestKeyring.write(dir).file());
    lines.add("api.tokens-file=" + dir.resolve("api-tokens.json"));
    lines.add("api.anonymous-role=viewer");
    lines.add("offline.jdbc-password=file:" + dir.resolve("warehouse-password"));
    lines.add("");
    Path file = dir.resolve("channel.properties");
    Files.writeString(file, String.join("\n", lines));
    return file;
  }
}
