package dev.channelanalytics.bench;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.ConsumerLag;
import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import dev.channelanalytics.testing.SimulatedTraffic;
import dev.channelanalytics.testing.TestKeyring;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run pipeline}: the whole local stack (no demo) drains a backlog published at once
 * ({@code envelopes}, default 2,000,000 simulated envelopes over eight hours of event time, with
 * {@code channels} channels, default 3,000, per product), and the harness times, from the first
 * publish, when the parser has committed everything (its lag is 0), when the sharder has, and when
 * the API's hour and day answers equal the reference model's: envelopes per second end to end and
 * each stage's share. (Minute answers are left out: a million users in thousands of channels make
 * more minute rows than one request returns.)
 *
 * <p>With {@code span-days=30} the same backlog spreads over 30 days of event and receive time
 * instead of eight hours, as a replay of a month of archived logs arrives: every hour of the month
 * is touched, so the calculator recomputes 720 hours and their days instead of eight.
 *
 * <p>Options: {@code envelopes}, {@code channels}, {@code products} (3), {@code seed} (11), {@code
 * span-days} (none: eight hours), {@code out} ({@code bench/results/pipeline.txt}), any {@code
 * set.KEY=VALUE}.
 */
public final class PipelineBench {
  private static final Duration TIMEOUT = Duration.ofMinutes(40);

  private PipelineBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int envelopes = Integer.parseInt(options.getOrDefault("envelopes", "2000000"));
    int channels = Integer.parseInt(options.getOrDefault("channels", "3000"));
    int products = Integer.parseInt(options.getOrDefault("products", "3"));
    long seed = Long.parseLong(options.getOrDefault("seed", "11"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/pipeline.txt"));

    Path dir = Files.createTempDirectory("pipeline-bench-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestKeyring keys = TestKeyring.write(dir);
    ChannelConfig config =
        BenchSupport.withOverrides(BenchSupport.localStackConfig(dir, keys), options);
    NewUserOracle oracle = new NewUserOracle(keys.keyring());
    boolean days = options.containsKey("span-days");
    Duration span =
        days ? Duration.ofDays(Long.parseLong(options.get("span-days"))) : Duration.ofHours(8);
    // With span-days, the days ending a day ago: every stamp is in the past, in the 72 hours an
    // event time may lie before its receive time (the simulator stamps both within its span).
    long start = PipelineFixture.recentStart() - (days ? span.toMillis() : 0);
    SimulationSpec spec =
        SimulationSpec.defaults(seed, envelopes, start, span, List.copyOf(keys.keyring().keyIds()))
            .withShape(products, channels);

    List<String> report = new ArrayList<>();
    report.add("# Whole pipeline: a backlog published at once until the API equals the model");
    report.add("date: " + Instant.now());
    report.add(
        String.format(
            "setup: %d cores, the whole local stack (no demo) on this machine; %,d simulated"
                + " envelopes over %s of event time, %d products of %,d channels (seed %d)%s",
            Runtime.getRuntime().availableProcessors(),
            envelopes,
            span,
            products,
            channels,
            seed,
            BenchSupport.overrides(options).isEmpty()
                ? ""
                : "; settings " + BenchSupport.overrides(options)));
    LocalStack stack = new LocalStack(config, false);
    PrintStream console = new PrintStream(System.out, true);
    try {
      stack.up(console);
      long t0 = System.nanoTime();
      Thread publisher =
          new Thread(
              () ->
                  SimulatedTraffic.publish(
                      KafkaConnection.plaintext(config.kafkaBootstrapServers()),
                      config.topics().rawLogs(),
                      config.topics().productConfig(),
                      new TrafficSimulator(spec, keys.keyring()),
                      oracle,
                      false),
              "publish-backlog");
      publisher.start();
      publisher.join();
      double published = seconds(t0);
      report.add(
          String.format(
              "published in %.1f s (%,.0f envelopes/s; the model decodes each as it is sent)",
              published, envelopes / published));

      double parserDone = -1;
      double sharderDone = -1;
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (System.nanoTime() < deadline && sharderDone < 0) {
        List<Long> lags = List.copyOf(ConsumerLag.of(config).values());
        if (parserDone < 0 && lags.get(0) == 0) {
          parserDone = seconds(t0);
        }
        if (parserDone >= 0 && lags.get(1) == 0) {
          sharderDone = seconds(t0);
        }
        Thread.sleep(500);
      }
      if (sharderDone < 0) {
        throw new IllegalStateException("the stages did not drain the backlog within " + TIMEOUT);
      }
      ReportApiAnswers api =
          new ReportApiAnswers(
              URI.create("http://localhost:" + config.intValue(Setting.CALCULATOR_PORT)));
      Instant from = Instant.ofEpochMilli(start).minus(Duration.ofDays(1));
      Instant to = Instant.ofEpochMilli(start).plus(span).plus(Duration.ofDays(1));
      for (ChronoUnit unit : List.of(ChronoUnit.HOURS, ChronoUnit.DAYS)) {
        Map<NewUserOracle.Bucket, Long> expected = oracle.newUsers(unit, ZoneOffset.UTC);
        PipelineFixture.awaitEqual(
            "the API's " + unit + " equal to the model's",
            Duration.ofMinutes(10),
            expected,
            () -> api.newUsers(expected, unit, from, to));
      }
      double exact = seconds(t0);
      long users = oracle.firstSeen().size();
      report.add(
          String.format(
              "parser committed everything at %.1f s, sharder at %.1f s, API hour and day answers"
                  + " equal to the model's at %.1f s after the first publish",
              parserDone, sharderDone, exact));
      report.add(
          String.format(
              "end to end: %,.0f envelopes/s (target >= 20,000); %,d new users, %,d hour rows",
              envelopes / exact, users, oracle.newUsers(ChronoUnit.HOURS, ZoneOffset.UTC).size()));
      report.add(
          String.format(
              "shares of the %.1f s: publish %.0f%%, parser after publish %.0f%%, sharder after"
                  + " parser %.0f%%, calculator and API after sharder %.0f%%",
              exact,
              100 * published / exact,
              100 * Math.max(0, parserDone - published) / exact,
              100 * (sharderDone - parserDone) / exact,
              100 * (exact - sharderDone) / exact));
      report.add("rejects sent (model's counts): " + oracle.rejects());
    } finally {
      stack.down(console);
      report.forEach(System.out::println);
      BenchSupport.write(out, report);
      System.out.println("written to " + out);
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
