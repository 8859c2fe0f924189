package dev.channelanalytics.bench;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.local.StackService;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import dev.channelanalytics.testing.SimulatedTraffic;
import dev.channelanalytics.testing.TestKeyring;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/run cluster}: the production-shaped deployment ({@code channel up --cluster}: 3
 * Kafka brokers with replication 3, 2 Elasticsearch nodes, a Flink standalone session cluster with
 * the parser submitted by Flink's CLI, a Spark standalone cluster with the sharder submitted by
 * spark-submit) brought up from nothing, then simulator traffic with every reject kind published in
 * six parts while, one part each, a Kafka broker, an Elasticsearch node, the Flink TaskManager, the
 * Flink JobManager and the Spark worker are killed with SIGKILL (the stack's supervisor restarts
 * each, as it would any crashed process; the parser's job, gone with its JobManager, is submitted
 * again and resumes from its retained checkpoint). Passes only when the report API's minute, hour
 * and day answers end exactly at the reference model's; writes how long {@code up} took, the memory
 * the deployment holds and each fault's recovery.
 *
 * <p>A benchmark rather than a test: sixteen JVMs and two Elasticsearch nodes take a few minutes
 * and most of this 2-core machine, more than CI's time budget allows beside the other suites.
 *
 * <p>Options: {@code envelopes} (40,000), {@code seed} (7), {@code out} ({@code
 * bench/results/cluster.txt}). The cluster's ports (config/cluster/channel.properties) must be
 * free: stop a running {@code channel up --cluster} first.
 */
public final class ClusterFaultsBench {
  private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(5);
  private static final int SLICES_PER_PART = 20;

  /**
   * The service killed during each part after the first, in order. The JobManager (not one of the
   * issue's four) takes the parser's job with it, so the job is submitted again and must resume
   * from its retained checkpoint.
   */
  private static final List<String> FAULTS =
      List.of(
          "kafka-2", "elasticsearch-2", "flink-taskmanager", "flink-jobmanager", "spark-worker");

  private static final int PARTS = FAULTS.size() + 1;

  private ClusterFaultsBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int envelopes = Integer.parseInt(options.getOrDefault("envelopes", "40000"));
    long seed = Long.parseLong(options.getOrDefault("seed", "7"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/cluster.txt"));

    Path home = Path.of("").toAbsolutePath();
    Path dir = Files.createTempDirectory("cluster-bench-");
    // Elasticsearch runs as an unprivileged user under root and must be able to enter the state.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestKeyring keys = TestKeyring.write(dir);
    ChannelConfig config =
        PipelineFixture.withLocalAccess(
            ChannelConfig.load(home.resolve("config/cluster/channel.properties"), home)
                .with(Setting.STATE_DIR, dir.resolve("state").toString())
                .with(Setting.KEYRING_FILE, keys.file().toString()),
            dir);
    NewUserOracle oracle = new NewUserOracle(keys.keyring());
    long start = PipelineFixture.recentStart();
    Duration span = Duration.ofHours(8);
    List<SimulatedRecord> traffic = new ArrayList<>();
    new TrafficSimulator(
            SimulationSpec.defaults(
                seed, envelopes, start, span, List.copyOf(keys.keyring().keyIds())),
            keys.keyring())
        .forEachRemaining(traffic::add);

    List<String> report = new ArrayList<>();
    report.add("# channel up --cluster under faults: the API against the reference model");
    report.add("date: " + Instant.now());
    report.add(
        String.format(
            "setup: %d cores, %.1f GiB; %s; %,d simulated envelopes over %s of event time"
                + " (seed %d), published in %d parts",
            Runtime.getRuntime().availableProcessors(),
            totalMemoryGib(),
            "3 Kafka brokers (replication 3, min ISR 2), 2 Elasticsearch nodes (1 replica),"
                + " Flink JobManager + TaskManager (flink run), Spark master + worker"
                + " (spark-submit), calculator, warehouse, calibration, supervisor",
            envelopes,
            span,
            seed,
            PARTS));

    LocalStack stack = new LocalStack(config, false);
    PrintStream console = new PrintStream(System.out, true);
    MemoryWatch memory = new MemoryWatch(stack);
    try {
      long upStart = System.nanoTime();
      stack.up(console);
      long upMillis = (System.nanoTime() - upStart) / 1_000_000;
      long afterUp = memory.sample();
      report.add(String.format("up --cluster from nothing: %.1f s", upMillis / 1000.0));
      report.add(
          String.format(
              "memory after up: %,d MiB resident in %d processes (every service's process tree)",
              afterUp / 1024, memory.processes()));
      memory.start();

      KafkaConnection kafka = KafkaConnection.plaintext(config.kafkaBootstrapServers());
      int partSize = (traffic.size() + PARTS - 1) / PARTS;
      for (int part = 0; part < PARTS; part++) {
        List<SimulatedRecord> records =
            traffic.subList(part * partSize, Math.min(traffic.size(), (part + 1) * partSize));
        String fault = part == 0 ? null : FAULTS.get(part - 1);
        report.add(publishWithFault(stack, config, kafka, records, oracle, fault));
      }
      long published = System.nanoTime();

      Set<RejectReason> sent = EnumSet.noneOf(RejectReason.class);
      sent.addAll(oracle.rejects().keySet());
      Set<RejectReason> missing = EnumSet.allOf(RejectReason.class);
      missing.removeAll(sent);
      report.add("reject kinds sent (model's counts): " + oracle.rejects());
      if (!missing.isEmpty()) {
        throw new IllegalStateException("the traffic lacks reject kinds " + missing);
      }

      ReportApiAnswers api =
          new ReportApiAnswers(
              URI.create("http://localhost:" + config.intValue(Setting.CALCULATOR_PORT)));
      Instant from = Instant.ofEpochMilli(start).minus(Duration.ofDays(1));
      Instant to = Instant.ofEpochMilli(start).plus(span).plus(Duration.ofDays(1));
      PipelineFixture.awaitApiEqualsModel(oracle, api, from, to, Duration.ofMinutes(10));
      report.add(
          String.format(
              "API minute, hour and day answers equal to the model's %.1f s after the last"
                  + " publish: %,d new users in %,d minute buckets",
              (System.nanoTime() - published) / 1e9,
              oracle.firstSeen().size(),
              oracle
                  .newUsers(java.time.temporal.ChronoUnit.MINUTES, java.time.ZoneOffset.UTC)
                  .size()));
      memory.stop();
      report.add(
          String.format(
              "memory: peak %,d MiB resident during traffic and faults", memory.peak() / 1024));
      report.add("result: PASS");
    } catch (Exception | AssertionError e) {
      report.add("result: FAIL: " + e.getMessage());
      throw e;
    } finally {
      memory.stop();
      long downStart = System.nanoTime();
      boolean clean = stack.down(console);
      report.add(
          String.format(
              "down: %.1f s%s",
              (System.nanoTime() - downStart) / 1e9, clean ? "" : " (processes left running)"));
      report.forEach(System.out::println);
      BenchSupport.write(out, report);
      System.out.println("written to " + out);
    }
  }

  /**
   * Publishes {@code records} in slices; with {@code fault}, kills that service (the whole process
   * tree, as a crash of its host would) after a quarter of them and, once all are published, waits
   * until the supervisor has it healthy again.
   */
  private static String publishWithFault(
      LocalStack stack,
      ChannelConfig config,
      KafkaConnection kafka,
      List<SimulatedRecord> records,
      NewUserOracle oracle,
      String fault)
      throws Exception {
    int slice = Math.max(1, (records.size() + SLICES_PER_PART - 1) / SLICES_PER_PART);
    long killedAt = 0;
    long pid = -1;
    long begin = System.nanoTime();
    for (int i = 0, n = 0; i < records.size(); i += slice, n++) {
      if (fault != null && n == SLICES_PER_PART / 4) {
        pid = kill(stack, fault);
        killedAt = System.nanoTime();
      }
      SimulatedTraffic.publish(
          kafka,
          config.topics().rawLogs(),
          config.topics().productConfig(),
          records.subList(i, Math.min(records.size(), i + slice)).iterator(),
          oracle,
          false);
    }
    double publishSeconds = (System.nanoTime() - begin) / 1e9;
    if (fault == null) {
      return String.format(
          "part without fault: %,d records published in %.1f s", records.size(), publishSeconds);
    }
    StackService service = stack.service(fault).orElseThrow();
    Path pidFile = stack.pidFile(service);
    long killed = pid;
    Poll.until(
        fault + " to be restarted and healthy",
        RECOVERY_TIMEOUT,
        () ->
            ManagedProcess.fromPidFile(pidFile).map(p -> p.pid() != killed).orElse(false)
                && service.healthy());
    // Each part's fault is over before the next begins: the parser's job is running again.
    StackService parser = stack.service("parser").orElseThrow();
    Poll.until("the parser job to run", RECOVERY_TIMEOUT, parser::healthy);
    String line =
        String.format(
            "part with %s killed (pid %d): %,d records published in %.1f s; %s healthy again"
                + " %.1f s after the kill",
            fault,
            killed,
            records.size(),
            publishSeconds,
            fault,
            (System.nanoTime() - killedAt) / 1e9);
    if (fault.equals("flink-jobmanager")) {
      line += "; " + resumedCheckpoint(parser.logFile());
    }
    return line;
  }

  /**
   * Where the parser's job, submitted again after its JobManager's death, resumed from: the last
   * "Resuming from checkpoint" the job's main logged under {@code flink run} (its output is the
   * parser service's log).
   */
  private static String resumedCheckpoint(Path parserLog) throws IOException {
    String marker = "Resuming from checkpoint ";
    List<String> resumed =
        Files.readAllLines(parserLog).stream().filter(l -> l.contains(marker)).toList();
    if (resumed.isEmpty()) {
      throw new IllegalStateException(
          "the parser's job was submitted again without resuming from a checkpoint; see "
              + parserLog);
    }
    String last = resumed.get(resumed.size() - 1);
    return "flink run submitted the job again and it resumed from "
        + last.substring(last.indexOf(marker) + marker.length()).trim();
  }

  /** SIGKILL of a service's process and every process under it; returns the pid killed. */
  private static long kill(LocalStack stack, String name) throws Exception {
    Path pidFile = stack.pidFile(stack.service(name).orElseThrow());
    ManagedProcess process =
        ManagedProcess.fromPidFile(pidFile)
            .orElseThrow(() -> new IllegalStateException(name + " is not running"));
    ProcessHandle handle = ProcessHandle.of(process.pid()).orElseThrow();
    List<ProcessHandle> tree = new ArrayList<>(handle.descendants().toList());
    tree.add(0, handle);
    tree.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle p : tree) {
      p.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    System.out.printf("killed %s (pid %d and %d below it)%n", name, process.pid(), tree.size() - 1);
    return process.pid();
  }

  private static double totalMemoryGib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0;
        }
      }
    } catch (IOException e) {
      // unknown
    }
    return 0;
  }

  /** The resident memory of every service's process tree, sampled every 2 s in the background. */
  private static final class MemoryWatch {
    private final LocalStack stack;
    private final AtomicLong peak = new AtomicLong();
    private volatile int processes;
    private volatile Thread thread;

    MemoryWatch(LocalStack stack) {
      this.stack = stack;
    }

    /** Resident KiB now. */
    long sample() {
      long total = 0;
      int count = 0;
      for (StackService s : stack.services()) {
        Path pidFile = stack.pidFile(s);
        Optional<ProcessHandle> root =
            ManagedProcess.fromPidFile(pidFile).flatMap(p -> ProcessHandle.of(p.pid()));
        if (root.isEmpty()) {
          continue;
        }
        List<ProcessHandle> tree = new ArrayList<>(root.get().descendants().toList());
        tree.add(root.get());
        for (ProcessHandle p : tree) {
          total += residentKib(p.pid());
          count++;
        }
      }
      processes = count;
      peak.accumulateAndGet(total, Math::max);
      return total;
    }

    int processes() {
      return processes;
    }

    long peak() {
      return peak.get();
    }

    void start() {
      Thread t =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  sample();
                  try {
                    Thread.sleep(2000);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "memory-watch");
      t.setDaemon(true);
      t.start();
      thread = t;
    }

    void stop() {
      Thread t = thread;
      if (t != null) {
        t.interrupt();
      }
    }

    private static long residentKib(long pid) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("\\D", ""));
          }
        }
      } catch (IOException | NumberFormatException e) {
        // gone meanwhile
      }
      return 0;
    }
  }
}
