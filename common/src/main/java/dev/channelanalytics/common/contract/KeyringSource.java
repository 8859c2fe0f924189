package dev.channelanalytics.common.contract;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Where a job's workers get the keyring: from the keyring file ({@code keyring.file}), read by each
 * worker when it opens, so that no key travels in a Flink job graph or a Spark closure (on a
 * cluster, mount the file on every worker from the secret store); or, when the keyring is given
 * inline ({@code keyring.json}), the keys themselves, which then do travel with the job.
 */
public final class KeyringSource implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final Keyring inline;

  private KeyringSource(String file, Keyring inline) {
    this.file = file;
    this.inline = inline;
  }

  /** The keys themselves (tests, and an inline keyring). */
  public static KeyringSource of(Keyring keyring) {
    return new KeyringSource(null, keyring);
  }

  /** A keyring file each worker reads when it opens. */
  public static KeyringSource file(Path file) {
    return new KeyringSource(file.toAbsolutePath().toString(), null);
  }

  /**
   * The source {@code config} names: the inline keyring when set, else the file. Either is read
   * once here, so a broken keyring fails the job's start rather than its workers.
   */
  public static KeyringSource of(ChannelConfig config) {
    Keyring checked = config.keyring();
    return config.get(Setting.KEYRING_JSON).isEmpty()
        ? file(config.path(Setting.KEYRING_FILE))
        : of(checked);
  }

  /** The keys: read from the file now, or the inline ones. */
  public Keyring load() {
    return file != null ? Keyring.load(Path.of(file)) : inline;
  }

  /** True when the keys travel with the job (an inline keyring). */
  public boolean inline() {
    return file == null;
  }

  @Override
  public String toString() {
    return file != null ? "keyring file " + file : "inline keyring";
  }
}
