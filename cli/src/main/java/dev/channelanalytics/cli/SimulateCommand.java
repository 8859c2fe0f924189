package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Makes deterministic client traffic, to Kafka at a target rate or to files. */
@Command(
    name = "simulate",
    description = {
      "Make realistic client traffic, deterministic for a seed, and send it to Kafka at a target"
          + " rate or write it to files (--out).",
      "With --expected FILE, also write the counts the contract says the pipeline must report."
    })
final class SimulateCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Option(names = "--seed", defaultValue = "42", description = "Default ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = {"-n", "--envelopes"},
      defaultValue = "100000",
      description = "Envelopes to make (default ${DEFAULT-VALUE}).")
  int envelopes;

  @Option(
      names = "--rate",
      defaultValue = "10000",
      description = "Target envelopes per second to Kafka; 0 = as fast as possible.")
  double rate;

  @Option(
      names = "--start",
      description = "Receive time of the first envelope (ISO-8601; default: now minus the span).")
  Instant start;

  @Option(
      names = "--span",
      defaultValue = "PT1H",
      description = "Receive times spread over this span (default ${DEFAULT-VALUE}).")
  Duration span;

  @Option(
      names = "--products",
      defaultValue = "3",
      description = "Products, of two app keys each (default ${DEFAULT-VALUE}).")
  int products;

  @Option(
      names = "--channels",
      defaultValue = "30",
      description =
          "Distribution channels, a few popular and many rare (default ${DEFAULT-VALUE}).")
  int channels;

  @Option(
      names = "--reject-share",
      defaultValue = "0.005",
      description =
          "Share of envelopes made to be rejected, per reason (default ${DEFAULT-VALUE}).")
  double rejectShare;

  @Option(
      names = "--out",
      description = "Write raw-logs.ndjson and product-config.ndjson here instead of to Kafka.")
  Path out;

  @Option(names = "--expected", description = "Write the reference model's counts to this file.")
  Path expected;

  @Override
  public Integer call() throws Exception {
    ChannelConfig config = cli.config();
    Keyring keyring = config.keyring();
    List<String> kids = new ArrayList<>(new java.util.TreeSet<>(keyring.keyIds()));
    Instant first = start != null ? start : Instant.now().minus(span);
    SimulationSpec spec =
        SimulationSpec.defaults(seed, envelopes, first.toEpochMilli(), span, kids)
            .withShape(products, channels)
            .withRejectShare(rejectShare);
    TrafficSimulator simulator = new TrafficSimulator(spec, keyring);
    NewUserOracle oracle = expected != null ? new NewUserOracle(keyring) : null;
    ProgressLine progress =
        new ProgressLine(out != null ? "written" : "sent", envelopes, System.err);
    int rc =
        out != null
            ? toFiles(simulator, oracle, progress)
            : toKafka(config, simulator, oracle, progress);
    if (oracle != null) {
      ExpectedCounts.write(ExpectedCounts.of(oracle, config.reportTimeZone(), true), expected);
      System.out.println("expected counts written to " + expected);
    }
    return rc;
  }

  private int toFiles(TrafficSimulator simulator, NewUserOracle oracle, ProgressLine progress)
      throws IOException {
    Files.createDirectories(out);
    Path raw = out.resolve("raw-logs.ndjson");
    Path mappings = out.resolve("product-config.ndjson");
    try (OutputStream rawOut = Files.newOutputStream(raw);
        BufferedWriter mapOut = Files.newBufferedWriter(mappings, StandardCharsets.UTF_8)) {
      var buffered = new java.io.BufferedOutputStream(rawOut, 1 << 16);
      while (simulator.hasNext()) {
        SimulatedRecord r = simulator.next();
        observe(oracle, r);
        if (r.isMapping()) {
          mapOut.write(new String(r.value(), StandardCharsets.UTF_8));
          mapOut.newLine();
        } else {
          buffered.write(r.value());
          buffered.write('\n');
          progress.done(1);
          progress.maybePrint();
        }
      }
      buffered.flush();
    }
    progress.finish();
    System.out.printf("wrote %s and %s%n", raw, mappings);
    System.out.println(
        "replay them with: channel ingest config "
            + mappings
            + " && channel ingest raw "
            + raw
            + " (mappings first, or within the parser's hold time)");
    return 0;
  }

  private int toKafka(
      ChannelConfig config, TrafficSimulator simulator, NewUserOracle oracle, ProgressLine progress)
      throws InterruptedException {
    Pacer pacer = rate > 0 ? Pacer.perSecond(rate, Pacer.Clock.SYSTEM) : Pacer.unpaced();
    long sent = 0;
    try (KafkaPublisher publisher = new KafkaPublisher(KafkaConnection.of(config), progress)) {
      while (simulator.hasNext()) {
        SimulatedRecord r = simulator.next();
        observe(oracle, r);
        if (r.isMapping()) {
          publisher.send(config.topics().productConfig(), r.key(), r.value(), false);
          continue;
        }
        pacer.awaitTurn();
        publisher.send(config.topics().rawLogs(), r.key(), r.value());
        sent++;
      }
      publisher.flush();
      progress.finish();
      if (publisher.firstError() != null) {
        System.err.println("error: first failure: " + publisher.firstError().getMessage());
        return 1;
      }
    }
    System.out.printf(
        "sent %d envelopes (and their mappings) to %s%n", sent, config.topics().rawLogs());
    return 0;
  }

  private static void observe(NewUserOracle oracle, SimulatedRecord r) {
    if (oracle == null) {
      return;
    }
    if (r.isMapping()) {
      oracle.mapping(ProductMapping.fromKafka(r.key(), r.value()));
    } else {
      oracle.envelope(r.value());
    }
  }
}
