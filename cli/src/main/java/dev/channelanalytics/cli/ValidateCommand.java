package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.contract.RejectedEnvelope;
import dev.channelanalytics.common.simulation.NewUserOracle;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Decodes a file of envelopes offline with the pipeline's own decoder, so operators can check a
 * collector's output before it reaches the pipeline.
 */
@Command(
    name = "validate",
    description = {
      "Decode a file of envelopes (one per line) offline and count them per reason code.",
      "With --mappings, also count accepted events and users per product."
    })
final class ValidateCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Parameters(paramLabel = "FILE", description = "NDJSON file, one envelope per line.")
  Path file;

  @Option(names = "--keyring", description = "Keyring JSON file (default: the configured keyring).")
  Path keyringFile;

  @Option(names = "--mappings", description = "NDJSON file of product mappings.")
  Path mappingsFile;

  @Option(names = "--json", description = "Machine-readable output.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Keyring keyring = keyringFile != null ? loadKeyring() : cli.config().keyring();
    NewUserOracle oracle = null;
    if (mappingsFile != null) {
      MappingFile mappings = MappingFile.read(mappingsFile);
      mappings.reportProblems();
      if (!mappings.problems().isEmpty()) {
        System.err.println("error: the mappings file has invalid lines");
        return 1;
      }
      oracle = new NewUserOracle(keyring);
      mappings.mappings().forEach(oracle::mapping);
    }
    EnvelopeDecoder decoder = new EnvelopeDecoder(keyring);
    Map<String, Long> reasons = new TreeMap<>();
    long lines = 0;
    long batches = 0;
    long validEvents = 0;
    ProgressLine progress = new ProgressLine("decoded", -1, System.err);
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        lines++;
        byte[] value = line.getBytes(StandardCharsets.UTF_8);
        DecodeResult result = decoder.decode(value);
        if (result instanceof RejectedEnvelope r) {
          reasons.merge(r.reason().code(), 1L, Long::sum);
        } else {
          DecodedBatch b = (DecodedBatch) result;
          batches++;
          validEvents += b.events().size();
          if (!b.rejectedEvents().isEmpty()) {
            reasons.merge(
                RejectReason.BAD_EVENT.code(), (long) b.rejectedEvents().size(), Long::sum);
          }
        }
        if (oracle != null) {
          oracle.decoded(result);
        }
        progress.done(1);
        if (!json) {
          progress.maybePrint();
        }
      }
    }
    if (!json) {
      progress.finish();
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("file", file.toString());
    report.put("envelopes", lines);
    report.put("decoded_batches", batches);
    report.put("valid_events", validEvents);
    report.put("rejects", reasons);
    if (oracle != null) {
      Map<String, Object> withMappings = ExpectedCounts.of(oracle, java.time.ZoneOffset.UTC, false);
      report.put("accepted_events", withMappings.get("accepted_events"));
      report.put("users", withMappings.get("users"));
      @SuppressWarnings("unchecked")
      Map<String, Long> all = (Map<String, Long>) withMappings.get("rejects");
      report.put("rejects", all);
    }
    if (json) {
      System.out.println(ExpectedCounts.toJson(report));
    } else {
      print(report);
    }
    return 0;
  }

  private Keyring loadKeyring() {
    try {
      return Keyring.load(keyringFile);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("invalid keyring " + keyringFile + ": " + e.getMessage());
    }
  }

  @SuppressWarnings("unchecked")
  private static void print(Map<String, Object> report) {
    System.out.printf("%-24s %s%n", "file", report.get("file"));
    System.out.printf("%-24s %d%n", "envelopes", (Long) report.get("envelopes"));
    System.out.printf("%-24s %d%n", "decoded batches", (Long) report.get("decoded_batches"));
    System.out.printf("%-24s %d%n", "valid events", (Long) report.get("valid_events"));
    Map<String, Long> rejects = (Map<String, Long>) report.get("rejects");
    System.out.println("rejects by reason:");
    for (RejectReason r : RejectReason.values()) {
      System.out.printf("  %-22s %d%n", r.code(), rejects.getOrDefault(r.code(), 0L));
    }
    if (report.containsKey("users")) {
      System.out.printf("%-24s %s%n", "accepted events", report.get("accepted_events"));
      System.out.println("users per product:");
      ((Map<String, Long>) report.get("users"))
          .forEach((p, n) -> System.out.printf("  %-22s %d%n", p, n));
    }
  }
}
