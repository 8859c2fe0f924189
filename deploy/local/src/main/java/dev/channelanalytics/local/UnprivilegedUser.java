package dev.channelanalytics.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The user a server runs as when the caller is root, because Elasticsearch refuses to run as root.
 */
public final class UnprivilegedUser {
  private final String name;
  private final int uid;
  private final int gid;

  private UnprivilegedUser(String name, int uid, int gid) {
    this.name = name;
    this.uid = uid;
    this.gid = gid;
  }

  /** The named user when this process runs as root; empty otherwise (no switch needed). */
  public static Optional<UnprivilegedUser> whenRoot(String name) {
    if (currentUid() != 0) {
      return Optional.empty();
    }
    return Optional.of(new UnprivilegedUser(name, id(name, "-u"), id(name, "-g")));
  }

  public static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException e) {
      return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
    }
  }

  public String name() {
    return name;
  }

  /** The command prefix that runs the rest of a command line as this user. */
  public List<String> commandPrefix() {
    return List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--");
  }

  /** Hands a directory tree to this user. */
  public void own(Path dir) {
    if (run(List.of("chown", "-R", uid + ":" + gid, dir.toString())) != 0) {
      throw new IllegalStateException("cannot hand " + dir + " to user " + name);
    }
  }

  /** True when this user can enter and read {@code dir} (every parent must be searchable). */
  public boolean canRead(Path dir) {
    List<String> cmd = new java.util.ArrayList<>(commandPrefix());
    cmd.addAll(List.of("test", "-r", dir.toString(), "-a", "-x", dir.toString()));
    return run(cmd) == 0;
  }

  private static int id(String name, String flag) {
    try {
      Process p = new ProcessBuilder("id", flag, name).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(
            "user '" + name + "' not found (" + out + "); set local.elasticsearch.user");
      }
      return Integer.parseInt(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int run(List<String> cmd) {
    try {
      return new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
