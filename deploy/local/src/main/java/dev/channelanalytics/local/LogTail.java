package dev.channelanalytics.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The end of a service's log, read from its last bytes only, so that {@code channel logs} and
 * {@code channel status} cost the same on a log of a gigabyte as on one of a kilobyte.
 */
public final class LogTail {
  /** How much of a log's end is read. */
  static final int WINDOW_BYTES = 1 << 20;

  /** How long a last error may be in {@code channel status}. */
  static final int ERROR_CHARS = 240;

  private LogTail() {}

  /** The last {@code n} lines of {@code log} (fewer when the last megabyte holds fewer). */
  public static List<String> lastLines(Path log, int n) throws IOException {
    List<String> lines = window(log);
    return lines.subList(Math.max(0, lines.size() - n), lines.size());
  }

  /**
   * The last line of {@code log} that reports an error: one logged at ERROR or FATAL (by our jobs,
   * Kafka, Elasticsearch or the supervisor), an uncaught exception or an out-of-memory error; cut
   * to {@value #ERROR_CHARS} characters.
   */
  public static Optional<String> lastError(Path log) {
    try {
      List<String> lines = window(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String line = lines.get(i);
        if (reportsError(line)) {
          String trimmed = line.strip();
          return Optional.of(
              trimmed.length() <= ERROR_CHARS
                  ? trimmed
                  : trimmed.substring(0, ERROR_CHARS - 1) + "…");
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static boolean reportsError(String line) {
    return line.contains(" ERROR ")
        || line.contains(" FATAL ")
        || line.contains("\"ERROR\"")
        || line.contains("Exception in thread")
        || line.contains("java.lang.OutOfMemoryError");
  }

  private static List<String> window(Path log) throws IOException {
    if (!Files.isRegularFile(log)) {
      return List.of();
    }
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long length = file.length();
      int size = (int) Math.min(length, WINDOW_BYTES);
      byte[] bytes = new byte[size];
      file.seek(length - size);
      file.readFully(bytes);
      List<String> lines =
          Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1));
      if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
        lines = lines.subList(0, lines.size() - 1);
      }
      // The first line of a window that does not start the file is most likely cut.
      return size < length && lines.size() > 1 ? lines.subList(1, lines.size()) : lines;
    }
  }
}
