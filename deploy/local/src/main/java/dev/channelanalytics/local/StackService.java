package dev.channelanalytics.local;

import java.nio.file.Path;

/** One process of the local stack: something that is prepared, started, probed and logged. */
public interface StackService {
  /** The name operators use in {@code channel status} and {@code channel logs NAME}. */
  String name();

  /** The port it serves on, shown in {@code channel status}. */
  int port();

  /** Writes configuration and state directories; safe to call again on existing state. */
  void prepare();

  ManagedProcess start(boolean detach);

  boolean healthy();

  Path logFile();
}
