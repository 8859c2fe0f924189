package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.retry.RestartBackoff;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watcher {@code channel up} leaves behind: every {@link #CHECK_EVERY} it looks at each service
 * the stack started, and one whose process is gone without {@code channel down} (a kill -9, an
 * out-of-memory exit, a crash) is started again after a {@link RestartBackoff}: 1 s, doubling to 1
 * min while it keeps dying, reset once it has stayed up for 10 min. Each death and restart is
 * written to the service's own log (so the last error {@code channel status} shows is in order with
 * the job's own) and counted in a ledger that {@code channel status} reads.
 *
 * <p>{@code channel down} stops the supervisor first, and only a service with a pid file (one that
 * {@code up} started and {@code down} has not stopped) is watched, so nothing stopped on purpose
 * comes back.
 */
public final class StackSupervisor {
  private static final Logger LOG = LoggerFactory.getLogger(StackSupervisor.class);

  static final Duration CHECK_EVERY = Duration.ofSeconds(2);

  /** The log4j ISO8601 layout the jobs' logs use, so supervisor lines sort with theirs. */
  private static final DateTimeFormatter LOG_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS");

  /** What the ledger holds for one service: restarts since the stack came up, and the last. */
  public record Restarts(int count, Instant last) {
    public static final Restarts NONE = new Restarts(0, null);
  }

  /** What the supervisor remembers of one service between checks. */
  private static final class Watch {
    int restarts;
    int consecutive;
    Instant lastRestart;
    Instant restartAt;
  }

  private final List<StackService> watched;
  private final Function<StackService, Path> pidFile;
  private final Path ledger;
  private final Map<String, Watch> watches = new HashMap<>();

  /**
   * @param watched the services to keep running
   * @param pidFile where the stack records each one's process
   * @param ledger the file {@code channel status} reads restarts from
   */
  StackSupervisor(List<StackService> watched, Function<StackService, Path> pidFile, Path ledger) {
    this.watched = List.copyOf(watched);
    this.pidFile = pidFile;
    this.ledger = ledger;
    watched.forEach(s -> watches.put(s.name(), new Watch()));
  }

  /** Checks until interrupted. */
  void run() throws InterruptedException {
    writeLedger();
    LOG.info("Supervising {}", watched.stream().map(StackService::name).toList());
    while (!Thread.currentThread().isInterrupted()) {
      check(Instant.now());
      Thread.sleep(CHECK_EVERY.toMillis());
    }
  }

  /** One look at every watched service; starts those whose back-off has passed. */
  void check(Instant now) {
    for (StackService s : watched) {
      try {
        check(s, watches.get(s.name()), now);
      } catch (RuntimeException e) {
        // One service that cannot be started must not stop the watch over the others.
        LOG.error("Cannot restart {}: {}", s.name(), e.toString());
        Watch w = watches.get(s.name());
        w.consecutive++;
        w.restartAt = now.plus(delay(w.consecutive));
      }
    }
  }

  private void check(StackService s, Watch w, Instant now) {
    Path pid = pidFile.apply(s);
    if (!Files.exists(pid) || ManagedProcess.fromPidFile(pid).isPresent()) {
      w.restartAt = null; // stopped on purpose, never started, or running (perhaps by up)
      return;
    }
    if (w.restartAt == null) {
      boolean stable =
          w.lastRestart == null || w.lastRestart.plus(RestartBackoff.STABLE).isBefore(now);
      w.consecutive = stable ? 0 : w.consecutive + 1;
      Duration delay = delay(w.consecutive);
      w.restartAt = now.plus(delay);
      String died =
          String.format(
              "%s (pid %s) is gone without channel down: killed or crashed; last error before: %s;"
                  + " restart %d in %d s",
              s.name(),
              recordedPid(pid),
              LogTail.lastError(s.logFile()).orElse("none logged"),
              w.restarts + 1,
              delay.toSeconds());
      LOG.warn(died);
      appendToLog(s, "ERROR", died);
      return;
    }
    if (now.isBefore(w.restartAt)) {
      return;
    }
    Optional<ManagedProcess> started =
        LocalStack.underStartLock(
            pid,
            () -> {
              if (ManagedProcess.fromPidFile(pid).isPresent() || !Files.exists(pid)) {
                return Optional.empty(); // up started it meanwhile, or down stopped the stack
              }
              s.prepare();
              ManagedProcess p = s.start(true);
              p.writePidFile(pid);
              return Optional.of(p);
            });
    w.restartAt = null;
    if (started.isPresent()) {
      w.restarts++;
      w.lastRestart = now;
      String message =
          String.format(
              "%s restarted as pid %d (restart %d)", s.name(), started.get().pid(), w.restarts);
      LOG.warn(message);
      appendToLog(s, "WARN ", message);
      writeLedger();
    }
  }

  static Duration delay(int consecutive) {
    return RestartBackoff.delay(consecutive);
  }

  private static String recordedPid(Path pidFile) {
    try {
      return Files.readString(pidFile).trim().split("\\s+")[0];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void appendToLog(StackService s, String level, String message) {
    String line =
        LocalDateTime.now(ZoneId.systemDefault()).format(LOG_TIME)
            + " "
            + level
            + " StackSupervisor - "
            + message
            + "\n";
    try {
      Files.writeString(
          s.logFile(),
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.warn("Cannot write to {}: {}", s.logFile(), e.toString());
    }
  }

  private void writeLedger() {
    Properties p = new Properties();
    watches.forEach(
        (name, w) -> {
          p.setProperty(name + ".restarts", Integer.toString(w.restarts));
          if (w.lastRestart != null) {
            p.setProperty(name + ".last-restart", w.lastRestart.toString());
          }
        });
    try {
      Files.createDirectories(ledger.getParent());
      Path tmp = ledger.resolveSibling(ledger.getFileName() + ".tmp");
      try (Writer out = Files.newBufferedWriter(tmp)) {
        p.store(out, "restarts by the supervisor since channel up");
      }
      Files.move(tmp, ledger, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + ledger, e);
    }
  }

  /** What the ledger says about {@code service}; none when there is no ledger. */
  static Restarts restarts(Path ledger, String service) {
    if (!Files.isRegularFile(ledger)) {
      return Restarts.NONE;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(ledger)) {
      p.load(in);
      String last = p.getProperty(service + ".last-restart");
      return new Restarts(
          Integer.parseInt(p.getProperty(service + ".restarts", "0")),
          last == null ? null : Instant.parse(last));
    } catch (IOException | RuntimeException e) {
      return Restarts.NONE;
    }
  }

  /** Supervises the stack of {@code --config FILE} until stopped. */
  public static void main(String[] args) throws InterruptedException {
    Path configFile = ChannelConfig.configFileOf(args);
    Path home = Path.of(System.getProperty("channel.home", "."));
    LocalStack stack = new LocalStack(ChannelConfig.load(configFile, home), false);
    new StackSupervisor(stack.supervised(), stack::pidFile, stack.restartLedger()).run();
  }
}
