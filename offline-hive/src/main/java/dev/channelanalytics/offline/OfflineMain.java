package dev.channelanalytics.offline;

import dev.channelanalytics.common.config.ChannelConfig;
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
 *   <li>{@code --config F due [NOW]}: lists the hours the schedule would compute now.
 * </ul>
 */
public final class OfflineMain {
  private OfflineMain() {}

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    }
  }

  private static int run(String[] args) throws Exception {
    ChannelConfig config = loadConfig(args);
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    int c = rest.indexOf("--config");
    if (c >= 0) {
      rest.subList(c, Math.min(rest.size(), c + 2)).clear();
    }
    if (rest.isEmpty()) {
      System.err.println("usage: run FROM UNTIL | due [NOW]");
      return 2;
    }
    OfflineSettings settings = OfflineSettings.from(config);
    try (OfflineEtl etl = OfflineEtl.connect(settings)) {
      switch (rest.get(0)) {
        case "run" -> {
          Instant from = Instant.parse(rest.get(1)).truncatedTo(ChronoUnit.HOURS);
          Instant until = Instant.parse(rest.get(2));
          List<Instant> hours = new ArrayList<>();
          for (Instant h = from; h.isBefore(until); h = h.plus(1, ChronoUnit.HOURS)) {
            hours.add(h);
          }
          System.out.printf(
              "computing %d hours from %s through %s%n", hours.size(), from, settings.jdbcUrl());
          etl.run(hours, OfflineProgress.printing(System.out));
        }
        case "due" -> {
          Instant now = rest.size() > 1 ? Instant.parse(rest.get(1)) : Instant.now();
          List<Instant> due = etl.dueHours(now);
          due.forEach(System.out::println);
          System.out.printf("%d hours due at %s%n", due.size(), now);
        }
        default -> {
          System.err.println("unknown offline command " + rest.get(0) + "; use run or due");
          return 2;
        }
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
