package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.local.Distributions;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The offline path from a terminal: compute chosen hours, or list the hours due. The work runs in a
 * JVM with the offline classpath (the Hive JDBC driver, kept off this command's classpath) against
 * the warehouse's HiveServer2 endpoint ({@code offline.jdbc-url}).
 */
@Command(
    name = "offline",
    description = "Run the offline (Hive) path: archive, decode and recompute hours.",
    subcommands = {OfflineCommand.Run.class, OfflineCommand.Due.class})
final class OfflineCommand {
  @ParentCommand ChannelCli cli;

  /** Hours are UTC hours, named by their start. */
  @Command(
      name = "run",
      description =
          "Compute one hour (--hour) or every hour of a range (--from, --to; back-fill with"
              + " progress), then rebuild the first sightings and hourly new users.")
  static final class Run implements Callable<Integer> {
    @ParentCommand OfflineCommand offline;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    static final class Hours {
      @Option(
          names = "--hour",
          required = true,
          description = "The hour to compute, e.g. 2026-11-23T10:00:00Z.")
      String hour;

      @ArgGroup(exclusive = false)
      Range range;
    }

    static final class Range {
      @Option(names = "--from", required = true, description = "First hour of the range.")
      String from;

      @Option(names = "--to", required = true, description = "End of the range (exclusive).")
      String to;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Hours hours;

    @Override
    public Integer call() throws Exception {
      Instant from;
      Instant to;
      if (hours.hour != null) {
        from = instant(spec, "--hour", hours.hour).truncatedTo(ChronoUnit.HOURS);
        to = from.plus(1, ChronoUnit.HOURS);
      } else {
        from = instant(spec, "--from", hours.range.from).truncatedTo(ChronoUnit.HOURS);
        to = instant(spec, "--to", hours.range.to);
        ordered(spec, from, to);
      }
      return offline.launch(
          List.of("run", from.toString(), to.toString()),
          "POST",
          "/runs?from=" + from + "&to=" + to);
    }
  }

  @Command(name = "due", description = "List the hours the hourly schedule would compute now.")
  static final class Due implements Callable<Integer> {
    @ParentCommand OfflineCommand offline;

    @Override
    public Integer call() throws Exception {
      return offline.launch(List.of("due"), "GET", "/due");
    }
  }

  /** An ISO instant option, or a usage error naming the option. */
  /** A usage error unless {@code --to} is after {@code --from} (either may be absent: null). */
  static void ordered(CommandLine.Model.CommandSpec spec, Instant from, Instant to) {
    if (from != null && to != null && !to.isAfter(from)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--to must be after --from");
    }
  }

  static Instant instant(CommandLine.Model.CommandSpec spec, String option, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          option + " must be an ISO instant such as 2026-11-23T10:00:00Z, not " + text);
    }
  }

  /**
   * Asks the local warehouse service when it runs (it runs one thing at a time, its schedule
   * included); otherwise runs the offline entry point in a JVM of its own against {@code
   * offline.jdbc-url}, with the effective configuration (no secrets).
   */
  int launch(List<String> args, String method, String path)
      throws IOException, InterruptedException {
    ChannelConfig config = cli.config();
    URI service =
        ServiceOrJvm.local(config, config.intValue(Setting.LOCAL_OFFLINE_STATUS_PORT))
            .resolve(path);
    if (ServiceOrJvm.serviceUp(config, service.resolve("/health"))) {
      return ServiceOrJvm.throughService(
          config, method, service, last -> last.equals("done") ? 0 : 1);
    }
    Distributions dist = Distributions.ofThisBuild();
    return ServiceOrJvm.inJvm(
        config,
        dist.sparkJvmArgs(),
        dist.offlineClasspath(),
        "dev.channelanalytics.offline.OfflineMain",
        args);
  }
}
