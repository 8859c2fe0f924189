package dev.channelanalytics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.EnvelopeEncoder;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.LocalJobs;
import dev.channelanalytics.testing.ElasticsearchExtension;
import dev.channelanalytics.testing.KafkaExtension;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulator traffic through the real parser, sharder and reporting service, each in its own JVM as
 * the local stack runs them: the API's minute, hour and day answers are exactly the reference
 * model's, also after hostile input (garbage, over-limit batches, immense identifiers, an invalid
 * mapping, records in {@code parsed-events} the parser does not write) and after logs whose events
 * are days old move users to earlier minutes; every job stays healthy, and every row is provisional
 * (nothing has been calibrated).
 */
class RealTimePipelineITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  @RegisterExtension
  static final ElasticsearchExtension ELASTICSEARCH = new ElasticsearchExtension();

  private static final Duration SPAN = Duration.ofHours(30);

  @TempDir Path dir;

  @Test
  void apiAnswersEqualTheModelAlsoAfterAReplayOfDaysOldLogs() throws Exception {
    long start = PipelineFixture.recentStart();
    try (PipelineFixture run = new PipelineFixture(KAFKA.kafka(), ELASTICSEARCH.url(), dir)) {
      run.publish(run.traffic(41, 3_000, start, SPAN), null);
      run.startParser();
      run.startSharder();
      run.startCalculator();
      ReportApiAnswers api = new ReportApiAnswers(run.api());
      awaitApiEqualsModel(run, api, start, Duration.ofMinutes(3));

      // Hostile input through the running jobs, then normal traffic: nothing stops, and the
      // counts stay exactly the model's (which applies the contract's limits to the same input).
      run.publish(hostile(run, start), null);
      publishForeignParsedEvents(run);

      // The same devices, three days earlier: every user moves to an earlier minute and day.
      long earlier = start - Duration.ofDays(3).toMillis();
      run.publish(run.traffic(41, 3_000, earlier, SPAN), null);
      awaitApiEqualsModel(run, api, earlier, Duration.ofMinutes(3));
      for (var job :
          List.of(
              LocalJobs.parser(run.config, Distributions.ofThisBuild(), dir.resolve("parser")),
              LocalJobs.sharder(run.config, Distributions.ofThisBuild(), dir.resolve("sharder")),
              LocalJobs.calculator(
                  run.config, Distributions.ofThisBuild(), dir.resolve("calculator")))) {
        assertThat(job.healthy()).as(job.name() + " healthy after the hostile input").isTrue();
      }
    }
  }

  /**
   * The contract's hostile cases as raw records and mappings: a record of 900 KB of garbage, a
   * batch of more events than the limit, a small gzip upload of 10,000 bad events, a device id of
   * 40,000 characters, a channel of 600, a mapping whose product id is 300 CJK characters (and a
   * batch of its app key), and device ids made only of zero-width or combining characters.
   */
  private static List<SimulatedRecord> hostile(PipelineFixture run, long start) {
    String appKey = run.oracle.firstSeenRecords().get(0).appKey();
    EnvelopeEncoder encoder = new EnvelopeEncoder(run.keys.keyring(), new Random(5));
    List<SimulatedRecord> out = new ArrayList<>();
    byte[] garbage = new byte[900 * 1024];
    Arrays.fill(garbage, (byte) '#');
    out.add(raw(garbage));
    List<ClientEvent> many = new ArrayList<>();
    List<ClientEvent> untyped = new ArrayList<>();
    for (int i = 0; i <= 10_000; i++) {
      many.add(new ClientEvent("launch", start + i));
      untyped.add(new ClientEvent(null, start + i));
    }
    out.add(raw(encoder.encode("k1", "e2e", start, batch(appKey, "many", "store", many), true)));
    out.add(
        raw(
            encoder.encode(
                "k1",
                "e2e",
                start,
                batch(appKey, "bomb", "store", untyped.subList(0, 10_000)),
                true)));
    List<ClientEvent> one = List.of(new ClientEvent("launch", start + 5));
    out.add(
        raw(
            encoder.encode(
                "k1", "e2e", start, batch(appKey, "d".repeat(40_000), "store", one), true)));
    out.add(
        raw(
            encoder.encode(
                "k1", "e2e", start, batch(appKey, "long-channel", "c".repeat(600), one), true)));
    String cjk = "中".repeat(300);
    out.add(
        new SimulatedRecord(
            SimulatedRecord.Destination.PRODUCT_CONFIG,
            "ak_cjk".getBytes(StandardCharsets.UTF_8),
            ("{\"app_key\":\"ak_cjk\",\"product_id\":\"" + cjk + "\"}")
                .getBytes(StandardCharsets.UTF_8),
            null));
    out.add(
        raw(encoder.encode("k1", "e2e", start, batch("ak_cjk", "cjk-user", "store", one), true)));
    out.add(
        raw(encoder.encode("k1", "e2e", start, batch(appKey, "\u200B\u200B", "store", one), true)));
    out.add(
        raw(
            encoder.encode(
                "k1", "e2e", start, batch(appKey, "\u0301\u0301\u0301", "store", one), true)));
    return out;
  }

  private static PlaintextBatch batch(
      String appKey, String device, String channel, List<ClientEvent> events) {
    return new PlaintextBatch(appKey, device, channel, "1.0", "android", events);
  }

  private static SimulatedRecord raw(byte[] value) {
    return new SimulatedRecord(SimulatedRecord.Destination.RAW_LOGS, null, value, null);
  }

  /** Records in {@code parsed-events} that the parser does not write: the sharder skips them. */
  private static void publishForeignParsedEvents(PipelineFixture run) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (String junk : List.of("not json", "{\"product_id\":\"x\"}", "[1,2,3]")) {
        producer
            .send(
                new ProducerRecord<>(
                    run.topics().parsedEvents(), junk.getBytes(StandardCharsets.UTF_8)))
            .get();
      }
    }
  }

  private static void awaitApiEqualsModel(
      PipelineFixture run, ReportApiAnswers api, long start, Duration timeout) throws Exception {
    Instant from = Instant.ofEpochMilli(start).minus(Duration.ofDays(5));
    Instant to = Instant.ofEpochMilli(start).plus(SPAN).plus(Duration.ofDays(2));
    run.awaitApiEqualsModel(api, from, to, timeout);
    for (String product :
        ReportApiAnswers.products(run.oracle.newUsers(ChronoUnit.DAYS, ZoneOffset.UTC))) {
      assertThat(api.rows(product, ChronoUnit.HOURS, from, to))
          .isNotEmpty()
          .allSatisfy(r -> assertThat(r.status()).isEqualTo("provisional"));
    }
  }
}
