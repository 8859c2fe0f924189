package dev.channelanalytics.testing;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.ProductMapping;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.records.RecordOrigin;
import dev.channelanalytics.common.simulation.NewUserOracle;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.common.simulation.SimulationSpec;
import dev.channelanalytics.common.simulation.TrafficSimulator;
import dev.channelanalytics.local.ConsumerLag;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One run of the real-time pipeline for an integration test: fresh topics, keyring, index prefix
 * and state on the test's Kafka and Elasticsearch; simulator traffic published with checked sends
 * and fed, in the same order, to the reference model; and the jobs in their own JVMs, started as
 * the local stack starts them.
 *
 * <p>Every test of a stage uses it: the parser's (with its job on a MiniCluster of its own), the
 * sharder's (with parsed batches published as the parser would write them), and the end-to-end
 * tests (with every job in its JVM).
 */
public final class PipelineFixture implements AutoCloseable {
  /** How long a job may take to become healthy. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  public final EmbeddedKafka kafka;
  public final TestKeyring keys;
  public final NewUserOracle oracle;
  public final ChannelConfig config;

  /** Unique to this run: part of every topic, group, index and state name. */
  public final String suffix;

  private final Path dir;
  private final List<ManagedProcess> processes = new ArrayList<>();

  /**
   * A run on {@code kafka} and {@code elasticsearch} (null when the test has none) with its state
   * under {@code dir}, keys of {@code kids} (default {@code k1}).
   */
  public PipelineFixture(EmbeddedKafka kafka, URI elasticsearch, Path dir, String... kids) {
    this(kafka, elasticsearch, null, dir, kids);
  }

  /**
   * A run on {@code kafka} and {@code elasticsearch}, each reached as it asks (TLS and credentials
   * when secured), with its state under {@code dir}.
   */
  public PipelineFixture(
      EmbeddedKafka kafka, EmbeddedElasticsearch elasticsearch, Path dir, String... kids) {
    this(kafka, null, elasticsearch, dir, kids);
  }

  private PipelineFixture(
      EmbeddedKafka kafka,
      URI elasticsearch,
      EmbeddedElasticsearch securedElasticsearch,
      Path dir,
      String... kids) {
    this.kafka = kafka;
    this.dir = dir;
    this.suffix = UUID.randomUUID().toString().substring(0, 8);
    ChannelConfig.Topics topics =
        new ChannelConfig.Topics(
            "raw-" + suffix, "config-" + suffix, "parsed-" + suffix, "dead-" + suffix);
    kafka.createTopic(topics.rawLogs(), 2);
    kafka.createTopic(topics.productConfig(), 1, Map.of("cleanup.policy", "compact"));
    kafka.createTopic(topics.parsedEvents(), 2);
    kafka.createTopic(topics.deadLetters(), 1);
    keys = TestKeyring.write(dir, kids);
    oracle = new NewUserOracle(keys.keyring());
    ChannelConfig c =
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.TOPIC_RAW_LOGS, topics.rawLogs())
            .with(Setting.TOPIC_PRODUCT_CONFIG, topics.productConfig())
            .with(Setting.TOPIC_PARSED_EVENTS, topics.parsedEvents())
            .with(Setting.TOPIC_DEAD_LETTERS, topics.deadLetters())
            .with(Setting.KEYRING_FILE, keys.file().toString())
            .with(Setting.STATE_DIR, dir.resolve("state").toString())
            .with(Setting.UNKNOWN_APP_KEY_HOLD, "PT5S")
            .with(Setting.PARSER_GROUP_ID, "parser-" + suffix)
            .with(Setting.PARSER_TRANSACTIONAL_ID_PREFIX, "parser-" + suffix)
            .with(Setting.PARSER_REST_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.PARSER_METRICS_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_PARSER_HEAP, "512m")
            .with(Setting.SHARDER_GROUP_ID, "sharder-" + suffix)
            .with(Setting.SHARDER_INDEX_PREFIX, "fs-" + suffix + "-")
            .with(Setting.SHARDER_UI_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.SHARDER_METRICS_PORT, Integer.toString(FreePorts.next()))
            .with(Setting.LOCAL_SHARDER_HEAP, "768m")
            .with(Setting.CALCULATOR_REPORT_INDEX, "reports-" + suffix)
            .with(Setting.CALCULATOR_PORT, Integer.toString(FreePorts.next()));
    c = kafka.configure(c);
    if (elasticsearch != null) {
      c = c.with(Setting.ELASTICSEARCH_URL, elasticsearch.toString());
    }
    if (securedElasticsearch != null) {
      c = securedElasticsearch.configure(c);
    }
    config = withLocalAccess(c, dir);
  }

  /** The run's topics. */
  public ChannelConfig.Topics topics() {
    return config.topics();
  }

  /** The run's first-seen index prefix. */
  public String indexPrefix() {
    return config.get(Setting.SHARDER_INDEX_PREFIX);
  }

  /** The start of an hour a day before now: simulated times that no retention deletes. */
  public static long recentStart() {
    return Instant.now().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.DAYS).toEpochMilli();
  }

  /**
   * The simulator's default mix over {@code span} from {@code start}, in arrival order, with every
   * key of the run's keyring.
   */
  public List<SimulatedRecord> traffic(long seed, int envelopes, long start, Duration span) {
    List<SimulatedRecord> out = new ArrayList<>();
    new TrafficSimulator(
            SimulationSpec.defaults(
                seed, envelopes, start, span, List.copyOf(keys.keyring().keyIds())),
            keys.keyring())
        .forEachRemaining(out::add);
    return out;
  }

  /**
   * Publishes traffic to {@code raw-logs} and {@code product-config} and feeds the model: the
   * mappings first, then the envelopes in arrival order or, with {@code shuffle}, shuffled.
   */
  public void publish(List<SimulatedRecord> traffic, Random shuffle) {
    SimulatedTraffic.publish(
        kafka.connection(),
        topics().rawLogs(),
        topics().productConfig(),
        mappingsFirst(traffic, shuffle).iterator(),
        oracle,
        false);
  }

  /**
   * Publishes to {@code parsed-events} what the parser would write for this traffic (the model's
   * accepted batches with their product, keyed by user), for tests of the stages after the parser;
   * the model sees the same traffic. Returns the number of batches sent.
   */
  public long publishParsed(List<SimulatedRecord> traffic, Random shuffle) {
    List<ParsedBatch> batches = new ArrayList<>();
    long[] offset = {0};
    oracle.onAccepted(
        (batch, product) ->
            batches.add(
                ParsedBatch.of(
                    batch,
                    product,
                    new RecordOrigin(
                        topics().rawLogs(), 0, offset[0]++, System.currentTimeMillis()))));
    try {
      for (SimulatedRecord r : mappingsFirst(traffic, null)) {
        if (r.isMapping()) {
          oracle.mapping(ProductMapping.fromKafka(r.key(), r.value()));
        } else {
          oracle.envelope(r.value());
        }
      }
    } finally {
      oracle.onAccepted((batch, product) -> {});
    }
    if (shuffle != null) {
      Collections.shuffle(batches, shuffle);
    }
    send(
        topics().parsedEvents(),
        batches,
        b -> new ProducerRecord<>(topics().parsedEvents(), b.kafkaKey(), b.toJson()));
    return batches.size();
  }

  private static List<SimulatedRecord> mappingsFirst(
      List<SimulatedRecord> traffic, Random shuffle) {
    List<SimulatedRecord> mappings = new ArrayList<>();
    List<SimulatedRecord> raw = new ArrayList<>();
    traffic.forEach(r -> (r.isMapping() ? mappings : raw).add(r));
    if (shuffle != null) {
      Collections.shuffle(raw, shuffle);
    }
    mappings.addAll(raw);
    return mappings;
  }

  /** Sends every item and waits until the broker acknowledged each one. */
  private <T> void send(
      String topic, List<T> items, Function<T, ProducerRecord<byte[], byte[]>> record) {
    Properties p = kafka.connection().properties();
    p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
    p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
    List<Future<RecordMetadata>> sends = new ArrayList<>(items.size());
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (T item : items) {
        sends.add(producer.send(record.apply(item)));
      }
      producer.flush();
      for (Future<RecordMetadata> f : sends) {
        f.get(1, TimeUnit.MINUTES);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("publishing to " + topic + " failed", e);
    }
  }

  /**
   * {@code config} with a warehouse of its own: HiveServer2, status and metastore on free ports, a
   * heap of {@code heap}, and no schedule (a test or benchmark asks for its runs). Its HiveServer2,
   * {@code jdbc:hive2://localhost:<local.offline.port>/default}, is {@code offline.jdbc-url}.
   */
  /**
   * {@code config} with the local default's access to the HTTP services: reports readable without a
   * token, and a new admin token in {@code dir/api-tokens.json} for runs (as {@code channel up}
   * makes).
   */
  public static ChannelConfig withLocalAccess(ChannelConfig config, Path dir) {
    Path tokens = dir.resolve("api-tokens.json");
    dev.channelanalytics.common.security.ApiAccess.createLocalTokens(tokens);
    return config
        .with(Setting.API_TOKENS_FILE, tokens.toString())
        .with(Setting.API_ANONYMOUS_ROLE, "viewer");
  }

  public static ChannelConfig withWarehouse(ChannelConfig config, String heap) {
    int hive = FreePorts.next();
    return config
        .with(Setting.LOCAL_OFFLINE_PORT, Integer.toString(hive))
        .with(Setting.OFFLINE_JDBC_URL, "jdbc:hive2://localhost:" + hive + "/default")
        .with(Setting.LOCAL_OFFLINE_STATUS_PORT, Integer.toString(FreePorts.next()))
        .with(Setting.LOCAL_OFFLINE_METASTORE_PORT, Integer.toString(FreePorts.next()))
        .with(Setting.LOCAL_OFFLINE_HEAP, heap)
        .with(Setting.OFFLINE_SCHEDULE, "false");
  }

  /**
   * Computes the offline hours of [from, to) through the run endpoint of a warehouse started with
   * {@code config} (as {@code channel offline run} does); its progress lines, the last {@code done}
   * when the run succeeded.
   */
  public static List<String> offlineRun(ChannelConfig config, Instant from, Instant to)
      throws Exception {
    URI runs =
        URI.create(
            "http://localhost:"
                + config.get(Setting.LOCAL_OFFLINE_STATUS_PORT)
                + "/runs?from="
                + from
                + "&to="
                + to);
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(runs)
                .header(
                    "Authorization",
                    "Bearer " + dev.channelanalytics.common.security.ApiAccess.clientToken(config))
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofLines())
        .body()
        .toList();
  }

  /**
   * Starts the parser in its own JVM, as the local stack runs it, and waits until it is healthy.
   */
  public ManagedProcess startParser() throws Exception {
    return start(LocalJobs.parser(config, Distributions.ofThisBuild(), dir.resolve("parser")));
  }

  /** Starts the sharder in its own JVM, as the local stack runs it. */
  public ManagedProcess startSharder() throws Exception {
    return start(LocalJobs.sharder(config, Distributions.ofThisBuild(), dir.resolve("sharder")));
  }

  /** Starts the reporting service in its own JVM; its API is {@link #api()}. */
  public ManagedProcess startCalculator() throws Exception {
    return start(
        LocalJobs.calculator(config, Distributions.ofThisBuild(), dir.resolve("calculator")));
  }

  /** The report API of {@link #startCalculator()}. */
  public URI api() {
    return URI.create("http://localhost:" + config.get(Setting.CALCULATOR_PORT));
  }

  /**
   * Starts any job of the local stack (say, with a configuration of the test's own) in its own JVM,
   * waits until it is healthy, and stops it when the run closes.
   */
  public ManagedProcess startJob(LocalJob job) throws Exception {
    return start(job);
  }

  private ManagedProcess start(LocalJob job) throws Exception {
    return startHealthy(job, processes::add);
  }

  /**
   * Starts {@code job} in its own JVM as the local stack does, hands its process to {@code started}
   * (to be stopped by the caller) and returns once the job is healthy.
   */
  public static ManagedProcess startHealthy(
      LocalJob job, java.util.function.Consumer<ManagedProcess> started) {
    job.prepare();
    ManagedProcess process = job.start(false);
    started.accept(process);
    Poll.until(job.name() + " healthy", START_TIMEOUT, job::healthy);
    return process;
  }

  /** What a {@code channel} command printed (stdout and stderr) and how it exited. */
  public record Command(int exit, String output) {}

  /**
   * Runs {@code channel --config configFile args...} as an operator would, in a JVM of its own with
   * this build's command classpath, and waits at most {@code timeout} for it.
   */
  public static Command channel(Path configFile, Duration timeout, List<String> args)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                Distributions.ofThisBuild().cliClasspath(),
                "dev.channelanalytics.cli.ChannelCli",
                "--config",
                configFile.toString()));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("channel " + args + " did not end within " + timeout);
    }
    return new Command(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** kill -9 of a job's JVM, as a crash would leave it. */
  public static void kill(ManagedProcess process) throws Exception {
    ProcessHandle handle = ProcessHandle.of(process.pid()).orElseThrow();
    handle.destroyForcibly();
    handle.onExit().get(30, TimeUnit.SECONDS);
  }

  /** Waits until the parser and the sharder have consumed everything published so far. */
  public void awaitDrained(Duration timeout) {
    Poll.until(
        "parser and sharder to consume everything",
        timeout,
        () -> ConsumerLag.of(config).values().stream().allMatch(lag -> lag == 0));
  }

  /**
   * Waits until {@code actual} answers {@code expected}; on time-out fails with the difference.
   *
   * @throws AssertionError naming {@code what}, with both answers
   */
  public static <T> void awaitEqual(
      String what, Duration timeout, T expected, java.util.concurrent.Callable<T> actual)
      throws Exception {
    try {
      Poll.until(what, timeout, () -> expected.equals(actual.call()));
    } catch (IllegalStateException e) {
      T last = actual.call();
      if (!expected.equals(last)) {
        throw new AssertionError(what + ": expected " + expected + " but was " + last, e);
      }
    }
  }

  /**
   * Waits until the report API's minute, hour and day answers in [from, to) are the model's (in
   * UTC), each within {@code timeout}; fails with the difference.
   */
  public void awaitApiEqualsModel(ReportApiAnswers api, Instant from, Instant to, Duration timeout)
      throws Exception {
    awaitApiEqualsModel(oracle, api, from, to, timeout);
  }

  /**
   * As {@link #awaitApiEqualsModel(ReportApiAnswers, Instant, Instant, Duration)}, of {@code
   * oracle}.
   */
  public static void awaitApiEqualsModel(
      NewUserOracle oracle, ReportApiAnswers api, Instant from, Instant to, Duration timeout)
      throws Exception {
    for (ChronoUnit unit : List.of(ChronoUnit.MINUTES, ChronoUnit.HOURS, ChronoUnit.DAYS)) {
      Map<NewUserOracle.Bucket, Long> expected = oracle.newUsers(unit, java.time.ZoneOffset.UTC);
      if (expected.isEmpty()) {
        throw new AssertionError("the model counts no new users: the test sent no traffic");
      }
      awaitEqual(
          "the API's " + unit + " equal to the model's",
          timeout,
          expected,
          () -> api.newUsers(expected, unit, from, to));
    }
  }

  @Override
  public void close() {
    for (ManagedProcess p : processes) {
      p.stop(Duration.ofSeconds(20));
    }
  }
}
