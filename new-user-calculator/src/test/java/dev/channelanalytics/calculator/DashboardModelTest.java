package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's model ({@code dashboard/dashboard-model.js}) under Node's built-in test runner,
 * so the Maven build runs the JavaScript tests in {@code src/test/js} too.
 */
class DashboardModelTest {
  private static final Path TESTS = Path.of("src", "test", "js", "dashboard-model.test.js");
  private static final long TIMEOUT_SECONDS = 120;

  @TempDir Path dir;

  @Test
  void dashboardModelPassesItsNodeTests() throws Exception {
    String node = onPath("node");
    if (node == null) {
      // Failing, not skipping: a machine without node would otherwise silently test less.
      fail(
          "node is not on the PATH; the dashboard's JavaScript tests need Node 18 or later"
              + " (Debian: apt-get install nodejs)");
    }
    assertThat(TESTS).exists();
    // Output to a file, not a pipe, so a chatty run cannot block on a full pipe buffer.
    Path output = dir.resolve("node-test.log");
    Process process =
        new ProcessBuilder(node, "--test", TESTS.toString())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    boolean exited = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor();
    }
    String log = Files.readString(output);
    assertThat(exited)
        .as("node --test finished within %d s; its output:%n%s", TIMEOUT_SECONDS, log)
        .isTrue();
    assertThat(process.exitValue())
        .as("node --test %s exit code; its output:%n%s", TESTS, log)
        .isZero();
  }

  private static String onPath(String command) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(d -> Path.of(d, command))
        .filter(Files::isExecutable)
        .map(Path::toString)
        .findFirst()
        .orElse(null);
  }
}
