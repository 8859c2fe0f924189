package dev.channelanalytics.offline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of the ETL's plain HiveQL files ({@code src/main/resources/hiveql}), run statement by
 * statement through JDBC. Variables are written {@code ${hivevar:name}} as for beeline's {@code
 * --hivevar}; they are substituted here, and a variable without a value fails the script before any
 * statement runs.
 */
final class HiveQlScript {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HiveQlScript.class);
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{hivevar:([a-z_]+)}");

  private final String name;
  private final String text;

  private HiveQlScript(String name, String text) {
    this.name = name;
    this.text = text;
  }

  /** The script {@code hiveql/<name>} from the classpath. */
  static HiveQlScript load(String name) {
    try (InputStream in = HiveQlScript.class.getResourceAsStream("/hiveql/" + name)) {
      if (in == null) {
        throw new IllegalStateException("HiveQL script hiveql/" + name + " not on the classpath");
      }
      return new HiveQlScript(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String name() {
    return name;
  }

  /** The statements with the variables substituted, comments removed. */
  List<String> statements(Map<String, String> variables) {
    StringBuilder withoutComments = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (!line.strip().startsWith("--")) {
        withoutComments.append(line).append('\n');
      }
    }
    Matcher m = VARIABLE.matcher(withoutComments);
    StringBuilder substituted = new StringBuilder();
    while (m.find()) {
      String value = variables.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException(
            "HiveQL script " + name + " needs the variable " + m.group(1));
      }
      m.appendReplacement(substituted, Matcher.quoteReplacement(value));
    }
    m.appendTail(substituted);
    List<String> out = new ArrayList<>();
    // Statements end with a semicolon at the end of a line; none of the scripts has one elsewhere.
    for (String statement : substituted.toString().split(";\\s*\n")) {
      if (!statement.isBlank()) {
        out.add(statement.strip());
      }
    }
    return out;
  }

  /** Runs every statement in order on {@code statement}'s connection. */
  void run(Statement statement, Map<String, String> variables) throws SQLException {
    long started = System.nanoTime();
    for (String sql : statements(variables)) {
      try {
        statement.execute(sql);
      } catch (SQLException e) {
        throw new SQLException(
            name + ": " + withoutTrace(e.getMessage()) + "\n  in: " + firstLine(sql),
            e.getSQLState(),
            e);
      }
    }
    LOG.info("{} took {} ms", name, (System.nanoTime() - started) / 1_000_000);
  }

  /** HiveServer2 puts the server's stack trace into the message; the cause keeps it. */
  private static String withoutTrace(String message) {
    if (message == null) {
      return "";
    }
    int trace = message.indexOf("\n\tat ");
    return trace < 0 ? message : message.substring(0, trace);
  }

  private static String firstLine(String sql) {
    int nl = sql.indexOf('\n');
    return nl < 0 ? sql : sql.substring(0, nl) + " ...";
  }
}
