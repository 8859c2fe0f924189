package dev.channelanalytics.offline;

import dev.channelanalytics.common.config.ChannelConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The offline ETL from a terminal, as {@code channel offline} runs it (the command parses and
 * checks the arguments, then starts this in a JVM with the offline classpath):
 *
 * <ul>
 *   <li>{@code --config F run FROM UNTIL}: computes the hours in [FROM, UNTIL), with a progress
 *       line per hour;
 *   <li>{@code --config F due [NOW]}: lists the hours the schedule would compute now;
 *   <li>{@code --config F replay FROM UNTIL}: republishes the archived raw envelopes of the archive
 *       hours in [FROM, UNTIL) to {@code raw-logs} ({@link ArchiveReplay}), a line per hour.
 * </ul>
 */
public final class OfflineMain {
  static final String USAGE = "usage: [--config F] run FROM UNTIL | due [NOW] | replay FROM UNTIL";

  private OfflineMain() {}

  public static void main(String[] args) {
    try {
      System.exit(run(args, System.out, System.err));
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    }
  }

  /**
   * What the command line asks for: the hours to compute ({@code run}), or the instant to list due
   * hours at ({@code due}). Read before anything connects, so a mistyped range fails at once.
   */
  record Request(List<Instant> hours, Instant dueAt, boolean replay) {
    /**
     * The request of {@code args} ({@code --config F} left out), or null when they are no command.
     */
    static Request of(String[] args) {
      List<String> rest = new ArrayList<>(Arrays.asList(args));
      int c = rest.indexOf("--config");
      if (c >= 0) {
        rest.subList(c, Math.min(rest.size(), c + 2)).clear();
      }
      if (rest.size() == 3 && (rest.get(0).equals("run") || rest.get(0).equals("replay"))) {
        return new Request(
            hoursOf(Instant.parse(rest.get(1)), Instant.parse(rest.get(2))),
            null,
            rest.get(0).equals("replay"));
      }
      if (rest.size() <= 2 && !rest.isEmpty() && rest.get(0).equals("due")) {
        return new Request(
            null, rest.size() > 1 ? Instant.parse(rest.get(1)) : Instant.now(), false);
      }
      return null;
    }
  }

  /** Runs the command of {@code args}; returns the exit code (2: not a command). */
  static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    Request request = Request.of(args);
    if (request == null) {
      err.println(USAGE);
      return 2;
    }
    OfflineSettings settings = OfflineSettings.from(loadConfig(args));
    if (request.replay()) {
      try (WarehouseSession session =
          WarehouseSession.connect(settings.jdbcUrl(), settings.login())) {
        new ArchiveReplay(settings, session).run(request.hours(), out);
      }
      return 0;
    }
    try (OfflineEtl etl = OfflineEtl.connect(settings)) {
      if (request.hours() != null) {
        out.printf(
            "computing %d hours from %s through %s%n",
            request.hours().size(), request.hours().get(0), settings.jdbcUrl());
        etl.run(request.hours(), OfflineProgress.printing(out));
      } else {
        List<Instant> due = etl.dueHours(request.dueAt());
        due.forEach(out::println);
        out.printf("%d hours due at %s%n", due.size(), request.dueAt());
      }
    }
    return 0;
  }

  /** The hours whose start lies in [from truncated to the hour, until). */
  static List<Instant> hoursOf(Instant from, Instant until) {
    List<Instant> hours = new ArrayList<>();
    for (Instant h = from.truncatedTo(ChronoUnit.HOURS);
        h.isBefore(until);
        h = h.plus(1, ChronoUnit.HOURS)) {
      hours.add(h);
    }
    if (hours.isEmpty()) {
      throw new IllegalArgumentException("no hour starts in [" + from + ", " + until + ")");
    }
    return hours;
  }

  /** The configuration named by {@code --config}, else $CHANNEL_CONFIG, else the local one. */
  static ChannelConfig loadConfig(String[] args) {
    return ChannelConfig.load(
        ChannelConfig.configFileOf(args), Path.of(System.getProperty("channel.home", ".")));
  }
}
