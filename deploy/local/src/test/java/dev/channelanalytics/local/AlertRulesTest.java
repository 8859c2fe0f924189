package dev.channelanalytics.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The alert rules of {@code deploy/monitoring} as Prometheus reads them: {@code promtool check
 * rules} on every rules file, {@code promtool test rules} on every test file, and every rule named
 * in a test case. Skipped, saying so, where promtool is not installed (Debian's {@code prometheus}
 * package; {@code .ci/run} installs it).
 */
class AlertRulesTest {
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Path MONITORING = Distributions.ofThisBuild().monitoringDir();

  @BeforeAll
  static void promtoolIsHere() {
    assumeTrue(
        Files.isExecutable(PROMTOOL),
        "promtool is not installed (apt-get install prometheus): the alert rules are not checked");
  }

  @Test
  void everyRulesFileIsValid() throws Exception {
    List<String> command = new ArrayList<>(List.of(PROMTOOL.toString(), "check", "rules"));
    rulesFiles().forEach(p -> command.add(p.toString()));
    assertThat(run(command)).contains("SUCCESS").doesNotContain("FAILED");
  }

  @Test
  void everyRulePassesItsUnitTests() throws Exception {
    List<String> command = new ArrayList<>(List.of(PROMTOOL.toString(), "test", "rules"));
    testFiles().forEach(p -> command.add(p.toString()));
    assertThat(run(command)).contains("SUCCESS").doesNotContain("FAILED");
  }

  @Test
  void everyRuleHasATestCase() throws Exception {
    Set<String> rules = names(rulesFiles(), Pattern.compile("(?m)^\\s*- alert: (\\S+)"));
    Set<String> tested = names(testFiles(), Pattern.compile("(?m)^\\s*alertname: (\\S+)"));
    assertThat(rules).isNotEmpty();
    assertThat(tested).containsAll(rules);
  }

  private static List<Path> rulesFiles() throws IOException {
    return yamlIn(MONITORING.resolve("rules"));
  }

  private static List<Path> testFiles() throws IOException {
    return yamlIn(MONITORING.resolve("tests"));
  }

  private static List<Path> yamlIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> out = files.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
      assertThat(out).as("YAML files in " + dir).isNotEmpty();
      return out;
    }
  }

  private static Set<String> names(List<Path> files, Pattern pattern) throws IOException {
    Set<String> out = new TreeSet<>();
    for (Path f : files) {
      Matcher m = pattern.matcher(Files.readString(f));
      while (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /** Runs promtool; fails with its output when it exits non-zero. */
  private static String run(List<String> command) throws Exception {
    Process p =
        new ProcessBuilder(command)
            .directory(MONITORING.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("promtool finished").isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
    return out;
  }
}
