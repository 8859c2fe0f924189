package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.common.security.SecretFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The secrets of the local embedded default, made on the first {@code channel up} rather than
 * shipped in the repository: a keyring of fresh random keys, an admin token and the warehouse's
 * HiveServer2 password, each in a file only this user can read. Existing files are kept, and
 * refused when every user can read them.
 */
final class LocalSecrets {
  private LocalSecrets() {}

  /** The key ids of a new local keyring (the demo load encrypts with both). */
  static final String[] LOCAL_KIDS = {"k1", "k2"};

  /**
   * Creates what is missing, checks what exists, and says where each is.
   *
   * @throws ConfigException when a secret file every user can read is configured
   */
  static void ensure(ChannelConfig config, PrintStream out) {
    if (config.get(Setting.KEYRING_JSON).isEmpty() && !config.get(Setting.KEYRING_FILE).isBlank()) {
      Path keyring = config.path(Setting.KEYRING_FILE);
      if (!Files.exists(keyring) && Keyring.createFile(keyring, LOCAL_KIDS)) {
        out.printf(
            "%-17s a new keyring of random keys for this machine: %s (mode 0600)%n",
            "keyring", keyring);
      }
      SecretFiles.refuseWorldReadable(keyring, Setting.KEYRING_FILE);
      config.keyring(); // a broken keyring stops up here, not in the parser's log
    }
    if (!config.get(Setting.API_TOKENS_FILE).isBlank()) {
      Path tokens = config.path(Setting.API_TOKENS_FILE);
      if (ApiAccess.createLocalTokens(tokens)) {
        out.printf(
            "%-17s an admin token for calibrate, offline runs and replays: %s (mode 0600)%n",
            "api", tokens);
      }
    }
    Path warehousePassword = config.secretFile(Setting.OFFLINE_JDBC_PASSWORD);
    if (warehousePassword != null) {
      if (SecretFiles.create(warehousePassword, SecretFiles.randomToken(24) + "\n")) {
        out.printf(
            "%-17s a password for the warehouse's HiveServer2: %s (mode 0600)%n",
            "offline", warehousePassword);
      }
      config.get(Setting.OFFLINE_JDBC_PASSWORD); // a world-readable file stops up here
    }
    ApiAccess.from(config); // a bad tokens file or access setting stops up here
  }
}
