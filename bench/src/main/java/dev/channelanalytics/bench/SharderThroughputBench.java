package dev.channelanalytics.bench;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.kafka.TopicOffsets;
import dev.channelanalytics.common.records.FirstSeenRecord;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.records.RecordOrigin;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJob;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.local.ManagedProcess;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import dev.channelanalytics.testing.EmbeddedElasticsearch;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.FreePorts;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Measures the sharder's sustained first-seen writes per second into the local Elasticsearch,
 * beside the {@code _bulk} ceiling of the same Elasticsearch for the same documents, in one run.
 *
 * <p>Every parsed batch is a new user, so every record is a write. The ceiling indexes the same
 * documents, with the same external versions and mappings, straight into another index through the
 * shared store's {@code _bulk} writes (the sharder's own write path, without its reads, Spark or
 * Kafka) from two threads (the sharder's parallelism) in bulks of {@code bulk} documents. The
 * sharder then runs as the local stack runs it (its own JVM, local[2]) over the same documents
 * loaded into {@code parsed-events}; its rate is read from the offsets it commits after each
 * acknowledged batch, between 10% and 90% of the backlog.
 *
 * <p>Arguments as {@code name=value}: {@code users} (default 300000), {@code partitions} (of
 * parsed-events, default 2), {@code bulk} (ceiling bulk size, default 5000), {@code out} (default
 * {@code bench/results/sharder-throughput.txt}), {@code per-trigger} (most records per micro-batch,
 * default 20000, so the backlog takes many batches as steady streaming would).
 */
public final class SharderThroughputBench {
  private static final String[] PRODUCTS = {"browser", "video", "game"};

  private SharderThroughputBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parseArgs(args);
    int users = Integer.parseInt(options.getOrDefault("users", "300000"));
    int partitions = Integer.parseInt(options.getOrDefault("partitions", "2"));
    int bulk = Integer.parseInt(options.getOrDefault("bulk", "5000"));
    int perTrigger = Integer.parseInt(options.getOrDefault("per-trigger", "20000"));
    Path out = Paths.get(options.getOrDefault("out", "bench/results/sharder-throughput.txt"));

    List<ParsedBatch> batches = batches(users);
    Path dir = Files.createTempDirectory("sharder-bench-");
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedElasticsearch es = EmbeddedElasticsearch.start()) {
      double ceiling = bulkCeiling(es.url(), batches, bulk);
      System.out.printf("_bulk ceiling: %,.0f documents/s%n", ceiling);

      String topic = "parsed-events";
      kafka.createTopic(topic, partitions);
      load(kafka.bootstrapServers(), topic, batches);
      ChannelConfig config =
          ChannelConfig.load(null, dir, Map.of(), new Properties())
              .with(Setting.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
              .with(Setting.ELASTICSEARCH_URL, es.url().toString())
              .with(Setting.STATE_DIR, dir.resolve("state").toString())
              .with(Setting.SHARDER_UI_PORT, Integer.toString(FreePorts.next()))
              .with(Setting.SHARDER_METRICS_PORT, Integer.toString(FreePorts.next()))
              .with(Setting.SHARDER_GROUP_ID, "bench-sharder")
              // Many micro-batches, as in steady streaming, rather than one batch of everything.
              .with(Setting.SHARDER_MAX_OFFSETS_PER_TRIGGER, Integer.toString(perTrigger));
      LocalJob sharder =
          LocalJobs.sharder(config, Distributions.ofThisBuild(), dir.resolve("sharder"));
      sharder.prepare();
      ManagedProcess process = sharder.start(false);
      try {
        Poll.until("sharder up", Duration.ofMinutes(2), sharder::healthy);
        double sustained = sustained(kafka.bootstrapServers(), "bench-sharder", users);
        List<String> report = new ArrayList<>();
        report.add("# Sharder throughput: first-seen writes into the local Elasticsearch");
        report.add("date: " + Instant.now());
        report.add(
            String.format(
                "setup: %d cores, %,d new users (one parsed batch each), parsed-events %d"
                    + " partitions, sharder local[2] trigger %s, at most %,d records per"
                    + " micro-batch, Elasticsearch 512m heap, 1 shard, 0 replicas",
                Runtime.getRuntime().availableProcessors(),
                users,
                partitions,
                config.get(Setting.SHARDER_TRIGGER_INTERVAL),
                perTrigger));
        report.add(
            String.format(
                "_bulk ceiling through the store: %,.0f documents/s (2 threads, bulks of %d, on the"
                    + " node warmed by a first pass)",
                ceiling, bulk));
        report.add(
            String.format("sharder sustained: %,.0f first-seen writes/s (10%%..90%%)", sustained));
        report.add(String.format("ratio: %.2f of the ceiling", sustained / ceiling));
        report.forEach(System.out::println);
        BenchSupport.write(out, report);
        System.out.println("written to " + out);
      } finally {
        process.stop(Duration.ofSeconds(20));
      }
    }
  }

  /** New users spread over three products, twenty channels and a day, one event batch each. */
  private static List<ParsedBatch> batches(int users) {
    Random random = new Random(17);
    List<ParsedBatch> out = new ArrayList<>(users);
    long start = 1_795_428_000_000L;
    for (int i = 0; i < users; i++) {
      long t = start + (long) (random.nextDouble() * 86_400_000L);
      out.add(
          new ParsedBatch(
              PRODUCTS[i % PRODUCTS.length],
              "device-" + Long.toHexString(random.nextLong()) + "-" + i,
              "channel_" + random.nextInt(20),
              "ak_" + PRODUCTS[i % PRODUCTS.length] + "_1",
              t + 5_000,
              "collector-bench",
              "k1",
              "1.0",
              "android",
              new RecordOrigin("raw-logs", 0, i, t),
              List.of(new DecodedEvent(0, "launch", t, true))));
    }
    return out;
  }

  private static void load(String bootstrap, String topic, List<ParsedBatch> batches) {
    Properties p = new Properties();
    p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, "524288");
    p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (ParsedBatch b : batches) {
        producer.send(new ProducerRecord<>(topic, b.kafkaKey(), b.toJson()));
      }
      producer.flush();
    }
    System.out.printf("loaded %,d parsed batches%n", batches.size());
  }

  /**
   * The same documents, versions and mappings, written by the shared store straight to {@code
   * _bulk} from two threads, without the sharder's reads, Spark or Kafka.
   */
  private static double bulkCeiling(URI url, List<ParsedBatch> batches, int bulk) throws Exception {
    // A fresh node indexes slowly until its JIT and caches are warm: the first pass, into indices
    // deleted after it, only warms it (a cold ceiling was as low as half the warm one, and the
    // sharder, measured later on the warm node, came out above it).
    double cold = bulkPass(url, batches, bulk, "warmup-");
    try (ElasticsearchConnection es = ElasticsearchConnection.open(url, RetryPolicy.forever())) {
      FirstSeenStore warmup = new FirstSeenStore(es, "warmup-", 1, 0);
      List<String> indices = java.util.Arrays.stream(PRODUCTS).map(warmup::indexOf).toList();
      es.call("delete the warm-up indices", c -> c.indices().delete(d -> d.index(indices)));
    }
    System.out.printf("_bulk on the cold node (not counted): %,.0f documents/s%n", cold);
    return bulkPass(url, batches, bulk, "ceiling-");
  }

  private static double bulkPass(URI url, List<ParsedBatch> batches, int bulk, String prefix)
      throws Exception {
    try (ElasticsearchConnection es = ElasticsearchConnection.open(url, RetryPolicy.forever())) {
      FirstSeenStore store = new FirstSeenStore(es, prefix, 1, 0);
      for (String product : PRODUCTS) {
        store.ensureProductIndex(product);
      }
      List<List<FirstSeenStore.Write>> bulks = new ArrayList<>();
      List<FirstSeenStore.Write> current = new ArrayList<>();
      for (ParsedBatch b : batches) {
        current.add(new FirstSeenStore.Write(FirstSeenRecord.of(b), false));
        if (current.size() == bulk) {
          bulks.add(current);
          current = new ArrayList<>();
        }
      }
      if (!current.isEmpty()) {
        bulks.add(current);
      }
      ExecutorService pool = Executors.newFixedThreadPool(2);
      long start = System.nanoTime();
      List<Future<?>> futures = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (List<FirstSeenStore.Write> writes : bulks) {
        futures.add(pool.submit(() -> store.write(writes, now)));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      pool.awaitTermination(1, TimeUnit.MINUTES);
      return batches.size() / seconds;
    }
  }

  /** Records per second the sharder commits, between 10% and 90% of the backlog. */
  private static double sustained(String bootstrap, String group, long total) throws Exception {
    long t10 = 0;
    long c10 = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
    try (TopicOffsets offsets = new TopicOffsets(bootstrap, Duration.ofSeconds(30))) {
      while (System.nanoTime() < deadline) {
        long committed = offsets.committed(group).values().stream().mapToLong(o -> o).sum();
        long now = System.nanoTime();
        if (t10 == 0 && committed >= total / 10) {
          t10 = now;
          c10 = committed;
        }
        if (committed >= total * 9 / 10 && t10 != 0 && now > t10) {
          return (committed - c10) / ((now - t10) / 1e9);
        }
        Thread.sleep(250);
      }
    }
    throw new IllegalStateException("the sharder did not get through the backlog in 20 minutes");
  }
}
