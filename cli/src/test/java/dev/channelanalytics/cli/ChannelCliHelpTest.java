package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * Every command of the tree answers {@code --help} with its usage; the tree is walked, so a command
 * added later is checked without a change here.
 */
class ChannelCliHelpTest {
  @TestFactory
  Stream<DynamicTest> everyCommandPrintsItsUsageForHelp() {
    return commandPaths(ChannelCli.commandLine(), List.of()).stream()
        .map(
            path ->
                DynamicTest.dynamicTest(
                    String.join(" ", "channel", String.join(" ", path), "--help").trim(),
                    () -> assertPrintsUsage(path)));
  }

  @Test
  void theWalkReachesNestedSubcommands() {
    assertThat(commandPaths(ChannelCli.commandLine(), List.of()))
        .contains(List.of(), List.of("up"), List.of("ingest", "raw"), List.of("offline", "run"));
  }

  @Test
  void ingestRawRejectsARateThatIsNotPositiveBeforeReadingAnything() {
    for (String rate : List.of("0", "-5", "NaN")) {
      Run run = execute("ingest", "raw", "--rate", rate, "no-such-file.ndjson");
      assertThat(run.exitCode()).as("--rate %s", rate).isEqualTo(2);
      assertThat(run.err()).contains("--rate: the rate must be a positive number per second");
    }
  }

  private static void assertPrintsUsage(List<String> path) {
    List<String> args = new ArrayList<>(path);
    args.add("--help");
    Run run = execute(args.toArray(String[]::new));
    assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isZero();
    assertThat(run.out())
        .contains(String.join(" ", "Usage: channel", String.join(" ", path)).trim());
    assertThat(run.err()).isEmpty();
  }

  private record Run(int exitCode, String out, String err) {}

  private static Run execute(String... args) {
    CommandLine cli = ChannelCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int rc = cli.execute(args);
    return new Run(rc, out.toString(), err.toString());
  }

  /** The path of every command below {@code parent} (itself included), each alias once. */
  private static List<List<String>> commandPaths(CommandLine parent, List<String> parentPath) {
    List<List<String>> paths = new ArrayList<>();
    paths.add(parentPath);
    for (CommandLine sub : new LinkedHashSet<>(parent.getSubcommands().values())) {
      List<String> path = new ArrayList<>(parentPath);
      path.add(sub.getCommandName());
      paths.addAll(commandPaths(sub, path));
    }
    return paths;
  }
}
