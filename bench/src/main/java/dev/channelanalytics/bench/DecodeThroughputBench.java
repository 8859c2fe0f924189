package dev.channelanalytics.bench;

import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.DecodeResult;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.EnvelopeDecoder;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.Keyring;
import dev.channelanalytics.common.contract.PlaintextBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Measures how many envelopes one thread of {@link EnvelopeDecoder} decodes per second, because
 * decoding is the per-record cost of the log parser and sizes its parallelism.
 *
 * <p>Arguments, all optional, as {@code name=value}: {@code envelopes} (distinct envelopes per
 * variant, default 10000), {@code warmup} (seconds per variant, default 5), {@code seconds} (per
 * round, default 3), {@code rounds} (default 5), {@code out} (results file, default {@code
 * bench/results/decode-throughput.txt}).
 */
public final class DecodeThroughputBench {

  private static final long RECV_TS = 1_795_428_012_345L;
  private static final String[] KIDS = {"k1", "k2", "k3"};
  private static final String[] CHANNELS = {
    "huawei_store",
    "xiaomi_store",
    "oppo_store",
    "vivo_store",
    "app_store",
    "google_play",
    "organic"
  };
  private static final String[] EVENT_TYPES = {
    "app_launch",
    "page_view_home",
    "page_view_detail",
    "search_submit",
    "video_play_start",
    "share_click",
    "push_notification_open",
    "app_background"
  };
  private static final int CHECK_CLOCK_EVERY = 1024;

  /** Keeps the JIT from discarding decode results. */
  private static long sink;

  private DecodeThroughputBench() {}

  public static void main(String[] args) {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int envelopes = Integer.parseInt(options.getOrDefault("envelopes", "10000"));
    double warmupSeconds = Double.parseDouble(options.getOrDefault("warmup", "5"));
    double roundSeconds = Double.parseDouble(options.getOrDefault("seconds", "3"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/decode-throughput.txt"));

    Keyring keyring = keyring();
    List<String> report = new ArrayList<>();
    report.add("# Envelope decode throughput, single thread");
    report.add("date: " + Instant.now());
    report.add(
        "jvm: "
            + System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + " ("
            + System.getProperty("java.vm.vendor")
            + ")");
    report.add("cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
    report.add(
        String.format(
            Locale.ROOT,
            "settings: %d distinct envelopes per variant, %.0f s warm-up, %d rounds of %.0f s",
            envelopes,
            warmupSeconds,
            rounds,
            roundSeconds));
    report.add("");
    report.forEach(System.out::println);

    for (boolean gzip : new boolean[] {false, true}) {
      String variant = gzip ? "gzip" : "plain";
      Corpus corpus = corpus(keyring, envelopes, gzip, 1000 + (gzip ? 1 : 0));
      EnvelopeDecoder decoder = new EnvelopeDecoder(keyring);
      verify(decoder, corpus.envelopes);

      run(decoder, corpus.envelopes, warmupSeconds);
      double[] perSecond = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        perSecond[r] = run(decoder, corpus.envelopes, roundSeconds);
      }
      double[] sorted = perSecond.clone();
      Arrays.sort(sorted);
      double best = sorted[rounds - 1];
      double median =
          rounds % 2 == 1 ? sorted[rounds / 2] : (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
      List<String> lines = new ArrayList<>();
      lines.add(
          String.format(
              Locale.ROOT,
              "%-5s  plaintext avg %d B, envelope avg %d B",
              variant,
              corpus.averagePlaintextBytes,
              corpus.averageEnvelopeBytes));
      lines.add(
          String.format(
              Locale.ROOT,
              "%-5s  best %,.0f envelopes/s/core (%.0f ns/envelope), median %,.0f envelopes/s/core"
                  + " (%.0f ns/envelope)",
              variant,
              best,
              1e9 / best,
              median,
              1e9 / median));
      lines.add(
          String.format(
              Locale.ROOT,
              "%-5s  rounds: %s",
              variant,
              Arrays.stream(perSecond)
                  .mapToObj(v -> String.format(Locale.ROOT, "%,.0f", v))
                  .toList()));
      lines.forEach(System.out::println);
      report.addAll(lines);
    }
    BenchSupport.write(out, report);
    System.out.println();
    System.out.println("written to " + out);
    if (sink == 42) {
      System.out.println();
    }
  }

  /** Decodes the corpus round-robin for about {@code seconds}; returns envelopes per second. */
  private static double run(EnvelopeDecoder decoder, byte[][] envelopes, double seconds) {
    long budget = (long) (seconds * 1e9);
    long start = System.nanoTime();
    long now = start;
    long decoded = 0;
    int next = 0;
    long events = 0;
    while (now - start < budget) {
      for (int i = 0; i < CHECK_CLOCK_EVERY; i++) {
        DecodeResult result = decoder.decode(envelopes[next]);
        events += ((DecodedBatch) result).events().size();
        if (++next == envelopes.length) {
          next = 0;
        }
      }
      decoded += CHECK_CLOCK_EVERY;
      now = System.nanoTime();
    }
    sink += events;
    return decoded * 1e9 / (now - start);
  }

  private static void verify(EnvelopeDecoder decoder, byte[][] envelopes) {
    for (byte[] envelope : envelopes) {
      DecodeResult result = decoder.decode(envelope);
      if (!(result instanceof DecodedBatch)) {
        throw new IllegalStateException("benchmark envelope did not decode: " + result);
      }
    }
  }

  private record Corpus(byte[][] envelopes, int averagePlaintextBytes, int averageEnvelopeBytes) {}

  /** Distinct, realistic envelopes: 2 to 4 events per batch, several keys, repeatable. */
  private static Corpus corpus(Keyring keyring, int count, boolean gzip, long seed) {
    Random random = new Random(seed);
    EnvelopeEncoder encoder = new EnvelopeEncoder(keyring, random);
    byte[][] envelopes = new byte[count][];
    long plaintextBytes = 0;
    long envelopeBytes = 0;
    for (int i = 0; i < count; i++) {
      long recvTs = RECV_TS + random.nextInt(3_600_000);
      List<ClientEvent> events = new ArrayList<>();
      long ts = recvTs - random.nextInt(600_000);
      for (int e = 2 + random.nextInt(3); e > 0; e--) {
        events.add(new ClientEvent(EVENT_TYPES[random.nextInt(EVENT_TYPES.length)], ts));
        ts += random.nextInt(30_000);
      }
      PlaintextBatch batch =
          new PlaintextBatch(
              String.format(Locale.ROOT, "ak_%04x", random.nextInt(0x10000)),
              deviceId(random),
              CHANNELS[random.nextInt(CHANNELS.length)],
              "5." + random.nextInt(10) + "." + random.nextInt(20),
              random.nextInt(3) == 0 ? "ios" : "android",
              events);
      plaintextBytes += batch.toJson().length;
      envelopes[i] =
          encoder.encode(
              KIDS[i % KIDS.length], "collector-bj-0" + random.nextInt(8), recvTs, batch, gzip);
      envelopeBytes += envelopes[i].length;
    }
    return new Corpus(envelopes, (int) (plaintextBytes / count), (int) (envelopeBytes / count));
  }

  private static Keyring keyring() {
    Map<String, byte[]> keys = new LinkedHashMap<>();
    Random random = new Random(7);
    for (String kid : KIDS) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      keys.put(kid, key);
    }
    return Keyring.of(keys);
  }

  /** An upper-case UUID, as many Android SDKs send, so that normalisation has work to do. */
  private static String deviceId(Random random) {
    return new java.util.UUID(random.nextLong(), random.nextLong())
        .toString()
        .toUpperCase(Locale.ROOT);
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(line -> line.startsWith("model name"))
          .map(line -> line.substring(line.indexOf(':') + 1).strip())
          .findFirst()
          .orElse("unknown");
    } catch (IOException | UncheckedIOException e) {
      return "unknown (" + e.getClass().getSimpleName() + ")";
    }
  }
}
