package dev.channelanalytics.common.security;

import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that hold secrets (the keyring, API tokens, a job's configuration with an inline keyring):
 * written readable by their owner only from the moment they exist, and refused when every user of
 * the machine may read them, the way ssh refuses such a private key.
 */
public final class SecretFiles {
  private static final String OWNER_ONLY = "rw-------";

  private SecretFiles() {}

  /**
   * Creates {@code file} (and its folders) with {@code content}, mode 0600 from its creation on.
   *
   * @return false, writing nothing, when the file exists already
   */
  public static boolean create(Path file, String content) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Files.createFile(file, ownerOnly());
      Files.writeString(file, content, StandardCharsets.UTF_8);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file, e);
    }
  }

  /** Writes {@code file} anew with {@code content}, readable by its owner only. */
  public static void write(Path file, byte[] content) {
    try {
      if (!Files.exists(file)) {
        Files.createFile(file, ownerOnly());
      }
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(OWNER_ONLY));
      Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Refuses a secret file every user of the machine may read.
   *
   * @throws ConfigException naming the file, its setting and the fix
   */
  public static void refuseWorldReadable(Path file, Setting setting) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (mode.contains(PosixFilePermission.OTHERS_READ)) {
        throw new ConfigException(
            setting.key()
                + " "
                + file
                + " is readable by every user ("
                + PosixFilePermissions.toString(mode)
                + "): chmod 600 it");
      }
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its own access control applies
    } catch (IOException e) {
      throw new ConfigException("cannot read " + setting.key() + " " + file + ": " + e);
    }
  }

  /** A new random secret (a token, a password): {@code bytes} random bytes, base64url. */
  public static String randomToken(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private static FileAttribute<Set<PosixFilePermission>> ownerOnly() {
    return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(OWNER_ONLY));
  }
}
