package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.local.Distributions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * Calibrates first-seen hours from a terminal: through the running calibration service (which runs
 * one calibration at a time, its schedule included), else in a JVM of its own with the service's
 * classpath against the configured endpoints.
 */
@Command(
    name = "calibrate",
    description =
        "Prove the real-time numbers of first-seen hours [--from, --to) against the offline path:"
            + " compare user by user and bucket by bucket, repair the real-time store, mark"
            + " equal hours (and whole days) final. Exit 0 when every hour ends equal (and"
            + " final), 4 when a difference remains, 1 when the run could not be done.")
final class CalibrateCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--from",
      required = true,
      description = "First hour of first-seen time, e.g. 2026-11-23T00:00:00Z.")
  String from;

  @Option(names = "--to", required = true, description = "End of the range (exclusive).")
  String to;

  @Option(names = "--product", description = "One product (default: every product).")
  String product;

  @Option(names = "--dry-run", description = "Compare only: repair, mark and record nothing.")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    Instant start = OfflineCommand.instant(spec, "--from", from);
    Instant end = OfflineCommand.instant(spec, "--to", to);
    OfflineCommand.ordered(spec, start, end);
    ChannelConfig config = cli.config();
    URI service = ServiceOrJvm.local(config, config.intValue(Setting.CALIBRATION_PORT));
    if (ServiceOrJvm.serviceUp(config, service.resolve("/health"))) {
      String query =
          "/runs?from="
              + start
              + "&to="
              + end
              + (product == null
                  ? ""
                  : "&product=" + URLEncoder.encode(product, StandardCharsets.UTF_8))
              + (dryRun ? "&dryRun=true" : "");
      return ServiceOrJvm.throughService(
          config, "POST", service.resolve(query), CalibrateCommand::exitOf);
    }
    List<String> args = new ArrayList<>(List.of("calibrate", start.toString(), end.toString()));
    if (product != null) {
      args.add(product);
    }
    if (dryRun) {
      args.add("--dry-run");
    }
    Distributions dist = Distributions.ofThisBuild();
    return ServiceOrJvm.inJvm(
        config,
        dist.sparkJvmArgs(),
        dist.calibrationClasspath(),
        "dev.channelanalytics.calibration.CalibrationService",
        args);
  }

  /** The exit code the service's last line means, as the service's own entry point exits. */
  static int exitOf(String last) {
    return switch (last) {
      case "done: equal" -> 0;
      case "done: differences" -> 4;
      default -> 1;
    };
  }
}
