package dev.channelanalytics.cli;

import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.local.Distributions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Disaster recovery: republishes rejected or lost input to {@code raw-logs}. */
@Command(
    name = "replay",
    description = "Republish rejected or lost input to raw-logs (safe to run twice).",
    subcommands = {ReplayCommand.DeadLetters.class, ReplayCommand.Archive.class})
final class ReplayCommand {
  @ParentCommand ChannelCli cli;

  /**
   * {@code channel replay archive --from A --to B}: the archived raw envelopes of those archive
   * hours, from the offline warehouse, in a JVM with the offline classpath (the Hive JDBC driver
   * stays off this command's).
   */
  @Command(
      name = "archive",
      description = {
        "Republish the raw envelopes the offline archive (ods_raw_logs) holds for the archive"
            + " hours starting in [--from, --to) to raw-logs, with replay headers; a line per"
            + " hour and a summary.",
        "For hours the real-time path lost: a replayed envelope adds the first sightings that"
            + " were missing and changes no count it already made, so running it twice changes"
            + " nothing. Exit 0 when done, 1 when it could not be done."
      })
  static final class Archive implements Callable<Integer> {
    @ParentCommand ReplayCommand parent;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--from",
        required = true,
        description = "First archive hour (UTC), e.g. 2026-11-23T10:00:00Z.")
    String from;

    @Option(names = "--to", required = true, description = "End of the range (exclusive).")
    String to;

    @Override
    public Integer call() throws Exception {
      Instant start = OfflineCommand.instant(spec, "--from", from);
      Instant end = OfflineCommand.instant(spec, "--to", to);
      OfflineCommand.ordered(spec, start, end);
      Distributions dist = Distributions.ofThisBuild();
      return ServiceOrJvm.inJvm(
          parent.cli.config(),
          dist.sparkJvmArgs(),
          dist.offlineClasspath(),
          "dev.channelanalytics.offline.OfflineMain",
          List.of("replay", start.toString(), end.toString()));
    }
  }

  /**
   * {@code channel replay dead-letters [--reason R]... [--from F --to T]}: the original envelopes
   * of the matching dead letters, once each, marked as a replay.
   */
  @Command(
      name = "dead-letters",
      description = {
        "Republish the original envelopes of dead letters to raw-logs, once per distinct"
            + " envelope, with replay headers; progress, then a summary of what was read,"
            + " republished and skipped and why.",
        "Run it after the cause is gone (the key added to the keyring, the mapping published):"
            + " a replayed envelope adds the first sightings that were missing and changes no"
            + " count it already made, so running it twice changes nothing.",
        "Exit 0 when done, 1 when a record could not be republished."
      })
  static final class DeadLetters implements Callable<Integer> {
    @ParentCommand ReplayCommand parent;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--reason",
        paramLabel = "R",
        description =
            "Only dead letters of this reason code (repeatable; default every reason), e.g."
                + " unknown_key, unknown_app_key.")
    List<String> reasons = new ArrayList<>();

    @Option(
        names = "--from",
        description =
            "Only originals that arrived at or after this time, e.g. 2026-11-23T00:00:00Z.")
    String from;

    @Option(names = "--to", description = "Only originals that arrived before this time.")
    String to;

    @Option(
        names = "--dry-run",
        description = "Read and count only: what matches, per reason, and what would be sent.")
    boolean dryRun;

    @Override
    public Integer call() {
      Set<RejectReason> wanted = new LinkedHashSet<>();
      for (String code : reasons) {
        try {
          wanted.add(RejectReason.fromCode(code));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--reason: " + e.getMessage());
        }
      }
      Instant start = from == null ? null : OfflineCommand.instant(spec, "--from", from);
      Instant end = to == null ? null : OfflineCommand.instant(spec, "--to", to);
      OfflineCommand.ordered(spec, start, end);
      new DeadLetterReplay(parent.cli.config(), System.out, dryRun)
          .run(new DeadLetterReplay.Filter(wanted, start, end));
      return 0;
    }
  }
}
