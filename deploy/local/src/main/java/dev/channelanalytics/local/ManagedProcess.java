package dev.channelanalytics.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A server process the stack started, identified by pid and start time so that a recycled pid is
 * never mistaken for ours, and stopped with its whole process tree.
 */
public final class ManagedProcess {
  private final long pid;
  private final Instant startedAt;

  private ManagedProcess(long pid, Instant startedAt) {
    this.pid = pid;
    this.startedAt = startedAt;
  }

  /**
   * Starts a process with its output appended to {@code logFile}.
   *
   * @param detach start it in a new session (via {@code setsid}) so it outlives the launching
   *     command and its terminal
   */
  public static ManagedProcess start(
      List<String> command, Map<String, String> env, Path workDir, Path logFile, boolean detach) {
    List<String> cmd = new ArrayList<>();
    if (detach) {
      cmd.add("setsid");
    }
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
    // Other users of the machine can read a process's environment: no secret goes there.
    dev.channelanalytics.common.config.ChannelConfig.removeSecrets(pb.environment());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      Process process = pb.start();
      ProcessHandle handle = process.toHandle();
      return new ManagedProcess(handle.pid(), startInstant(handle));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0), e);
    }
  }

  /** The process recorded in a pid file, if that process still runs. */
  public static Optional<ManagedProcess> fromPidFile(Path pidFile) {
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    try {
      String[] parts = Files.readString(pidFile).trim().split("\\s+");
      long pid = Long.parseLong(parts[0]);
      Instant started = parts.length > 1 ? Instant.parse(parts[1]) : Instant.EPOCH;
      ManagedProcess p = new ManagedProcess(pid, started);
      return p.alive() ? Optional.of(p) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public void writePidFile(Path pidFile) {
    try {
      Files.writeString(pidFile, pid + " " + startedAt + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public long pid() {
    return pid;
  }

  /** True while the recorded process runs; false once the pid is gone or belongs to another. */
  public boolean alive() {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .map(h -> startedAt.equals(Instant.EPOCH) || startInstant(h).equals(startedAt))
        .orElse(false);
  }

  /**
   * Stops the process and all its descendants: SIGTERM first, SIGKILL after {@code grace}.
   *
   * @return true when nothing of the tree is left
   */
  public boolean stop(Duration grace) {
    return stop(grace, true);
  }

  /**
   * Stops the process, with its descendants or without them (the supervisor's: the services it
   * restarted are its children, and each is stopped by its own pid file).
   */
  public boolean stop(Duration grace, boolean withDescendants) {
    Optional<ProcessHandle> root = ProcessHandle.of(pid).filter(h -> alive());
    if (root.isEmpty()) {
      return true;
    }
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(root.get());
    if (withDescendants) {
      root.get().descendants().forEach(tree::add);
    }
    tree.forEach(ProcessHandle::destroy);
    try {
      Poll.until(
          "process " + pid + " to stop",
          grace,
          () -> tree.stream().noneMatch(ProcessHandle::isAlive));
    } catch (IllegalStateException e) {
      tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
      Poll.until(
          "process " + pid + " to be killed",
          Duration.ofSeconds(10),
          () -> tree.stream().noneMatch(ProcessHandle::isAlive));
    }
    return tree.stream().noneMatch(ProcessHandle::isAlive);
  }

  private static Instant startInstant(ProcessHandle h) {
    // Truncated: the kernel reports start times in clock ticks, and two reads may differ below
    // that.
    return h.info()
        .startInstant()
        .map(i -> i.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
        .orElse(Instant.EPOCH);
  }
}
