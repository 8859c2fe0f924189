package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.kafka.KafkaConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Publishes NDJSON files to the contract's topics, so logs can be replayed without a client. */
@Command(
    name = "ingest",
    description = "Publish an NDJSON file of envelopes (raw) or of mappings (config) to Kafka.",
    subcommands = {IngestCommand.Raw.class, IngestCommand.Config.class})
final class IngestCommand {
  @ParentCommand ChannelCli cli;

  /**
   * {@code channel ingest raw FILE [--rate R]}: one envelope per line to raw-logs, bytes unchanged;
   * with a rate, evenly spaced, to replay a recorded day at the speed it was logged.
   */
  @Command(
      name = "raw",
      description = {
        "Publish one envelope per line to the raw-logs topic, bytes unchanged.",
        "With --rate, send R envelopes per second, evenly spaced (a paced replay)."
      })
  static final class Raw implements Callable<Integer> {
    @ParentCommand IngestCommand parent;

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "NDJSON file, one envelope per line.")
    Path file;

    @Option(
        names = "--rate",
        paramLabel = "R",
        description = "Envelopes per second, R > 0 (default: as fast as Kafka takes them).")
    Double rate;

    @Override
    public Integer call() throws IOException, InterruptedException {
      Pacer pacer = pacer();
      ChannelConfig config = parent.cli.config();
      String topic = config.topics().rawLogs();
      ProgressLine progress = new ProgressLine("published", -1, System.err);
      long blank = 0;
      try (KafkaPublisher publisher = new KafkaPublisher(KafkaConnection.of(config), progress);
          BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (line.isBlank()) {
            blank++;
            continue;
          }
          // The pipeline validates; a bad line becomes a dead letter with its reason there.
          pacer.awaitTurn();
          publisher.send(topic, null, line.getBytes(StandardCharsets.UTF_8));
        }
        publisher.flush();
        progress.finish();
        return summary(progress, publisher, topic, blank);
      }
    }

    /** Checks --rate before anything is read or sent, so a bad rate is a usage error (exit 2). */
    private Pacer pacer() {
      if (rate == null) {
        return Pacer.unpaced();
      }
      try {
        return Pacer.perSecond(rate, Pacer.Clock.SYSTEM);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--rate: " + e.getMessage());
      }
    }
  }

  /** {@code channel ingest config FILE}: mappings to product-config, keyed by app key. */
  @Command(
      name = "config",
      description =
          "Publish one mapping per line ({\"app_key\":..,\"product_id\":..|null}) to product-config.")
  static final class Config implements Callable<Integer> {
    @ParentCommand IngestCommand parent;

    @Parameters(paramLabel = "FILE", description = "NDJSON file, one mapping per line.")
    Path file;

    @Option(
        names = "--skip-invalid",
        description = "Publish the valid lines even when some are invalid (default: publish none).")
    boolean skipInvalid;

    @Override
    public Integer call() throws IOException {
      ChannelConfig config = parent.cli.config();
      MappingFile read = MappingFile.read(file);
      List<ProductMapping> mappings = read.mappings();
      List<String> problems = read.problems();
      read.reportProblems();
      if (!problems.isEmpty() && !skipInvalid) {
        System.err.println(
            "error: "
                + problems.size()
                + " invalid lines; nothing published (fix them, or use --skip-invalid)");
        return 1;
      }
      String topic = config.topics().productConfig();
      ProgressLine progress = new ProgressLine("published", mappings.size(), System.err);
      try (KafkaPublisher publisher = new KafkaPublisher(KafkaConnection.of(config), progress)) {
        for (ProductMapping m : mappings) {
          // A deletion is a tombstone, so compaction forgets the app key.
          publisher.send(
              topic,
              m.appKey().getBytes(StandardCharsets.UTF_8),
              m.isDeletion() ? null : m.toJson());
        }
        publisher.flush();
        progress.finish();
        int rc = summary(progress, publisher, topic, 0);
        return problems.isEmpty() ? rc : 1;
      }
    }
  }

  private static int summary(
      ProgressLine progress, KafkaPublisher publisher, String topic, long blank) {
    System.out.printf(
        "published %d records to %s in %.1f s (%.0f/s), %d failed%s%n",
        progress.doneCount(),
        topic,
        progress.seconds(),
        progress.doneCount() / Math.max(progress.seconds(), 1e-3),
        progress.errorCount(),
        blank > 0 ? ", " + blank + " blank lines skipped" : "");
    if (publisher.firstError() != null) {
      System.err.println("error: first failure: " + publisher.firstError().getMessage());
      return 1;
    }
    return 0;
  }
}
