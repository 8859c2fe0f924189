package dev.channelanalytics.testing;

import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.local.StackService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A server of the local stack run as a child of the test JVM, with a temp state folder that goes
 * with it: the part {@link EmbeddedKafka} and {@link EmbeddedElasticsearch} share, so both start,
 * fail and clean up the same way.
 */
final class EmbeddedServer implements AutoCloseable {
  private final String what;
  private final StackService server;
  private ManagedProcess process;
  private final Path dir;
  private final Duration startTimeout;
  private final Duration stopTimeout;

  private EmbeddedServer(
      String what, StackService server, Path dir, Duration startTimeout, Duration stopTimeout) {
    this.what = what;
    this.server = server;
    this.dir = dir;
    this.startTimeout = startTimeout;
    this.stopTimeout = stopTimeout;
  }

  /** The address of an outside server named by the system property {@code property}, if set. */
  static Optional<String> outside(String property) {
    return Optional.ofNullable(System.getProperty(property)).filter(s -> !s.isBlank());
  }

  /** A fresh temp folder for a server's state. */
  static Path newStateDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Prepares and starts {@code server} and waits until it is healthy; on failure stops it and shows
   * the end of its log. A shutdown hook stops the child even when the test JVM exits without
   * closing it.
   *
   * @param what the server's name in messages
   * @param dir the server's state folder, deleted on {@link #close()}
   */
  static EmbeddedServer start(
      String what, StackService server, Path dir, Duration startTimeout, Duration stopTimeout) {
    server.prepare();
    EmbeddedServer child = new EmbeddedServer(what, server, dir, startTimeout, stopTimeout);
    Runtime.getRuntime().addShutdownHook(new Thread(child::close, "stop-" + server.name()));
    child.startProcess();
    return child;
  }

  /** Starts the process and waits until it is healthy; on failure stops it, showing its log. */
  private synchronized void startProcess() {
    process = server.start(false);
    try {
      Poll.until(what + " on port " + server.port(), startTimeout, server::healthy);
    } catch (RuntimeException e) {
      close();
      throw new IllegalStateException(
          what + " did not start; log: " + TempDirs.tail(server.logFile(), 40), e);
    }
  }

  /** A real fault: stops the server's process (SIGTERM, SIGKILL after the grace), keeping state. */
  synchronized void stopProcess() {
    process.stop(stopTimeout);
  }

  /** Starts the stopped server again on its ports and state, and waits until it is healthy. */
  synchronized void restartProcess() {
    if (process.alive()) {
      throw new IllegalStateException(what + " is running");
    }
    startProcess();
  }

  /** Stops the server and deletes its state; safe to call twice. */
  @Override
  public synchronized void close() {
    if (process != null && process.alive()) {
      process.stop(stopTimeout);
    }
    TempDirs.deleteQuietly(dir);
  }
}
