package dev.channelanalytics.parser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.contract.ClientEvent;
import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.contract.PlaintextBatch;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.ParsedBatch;
import dev.channelanalytics.common.simulation.NewUserOracle.FirstSeen;
import dev.channelanalytics.common.simulation.NewUserOracle.User;
import dev.channelanalytics.testing.CommittedRecords;
import dev.channelanalytics.testing.KafkaExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The parser on a MiniCluster against a real broker, checked against the reference model. */
class LogParserITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  private static final Duration HOLD = Duration.ofSeconds(3);
  private static final Duration TIMEOUT = Duration.ofMinutes(3);

  @TempDir Path checkpoints;

  @Test
  void simulatedTrafficGivesExactlyTheOraclesAcceptedEventsAndRejects() throws Exception {
    try (ParserOnMiniCluster run = new ParserOnMiniCluster(KAFKA.kafka(), checkpoints, HOLD)) {
      run.publish(42, 6_000);
      run.start();
      awaitExactlyTheOraclesOutput(run);
    }
  }

  @Test
  void aRecordNearOneMebibyteOfGarbageIsOneBoundedDeadLetterAndStopsNothing() throws Exception {
    // Under the record limit, but its copy in base64 would exceed Kafka's default record size.
    byte[] garbage = new byte[900 * 1024];
    java.util.Arrays.fill(garbage, (byte) '#');
    try (ParserOnMiniCluster run = new ParserOnMiniCluster(KAFKA.kafka(), checkpoints, HOLD)) {
      run.publish(11, 1_500);
      run.publishRaw(garbage);
      run.publish(12, 1_500);
      run.start();
      List<DeadLetter> letters = awaitExactlyTheOraclesOutput(run);
      assertThat(letters)
          .filteredOn(DeadLetter::truncated)
          .singleElement()
          .satisfies(
              l -> {
                assertThat(l.reason()).isEqualTo(RejectReason.BAD_ENVELOPE);
                assertThat(l.envelope()).hasSize(DeadLetter.PREFIX_BYTES);
              });
      assertThat(run.jobStatus()).isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
    }
  }

  @Test
  void aBatchOverTheEventLimitAndAGzipUploadOfTenThousandBadEventsAreOneDeadLetterEach()
      throws Exception {
    try (ParserOnMiniCluster run = new ParserOnMiniCluster(KAFKA.kafka(), checkpoints, HOLD)) {
      run.publish(13, 1_500);
      String appKey = run.oracle.firstSeenRecords().get(0).appKey();
      List<ClientEvent> untyped = new ArrayList<>();
      List<ClientEvent> tooMany = new ArrayList<>();
      for (int i = 0; i <= 10_000; i++) {
        untyped.add(new ClientEvent(null, i));
        tooMany.add(new ClientEvent("launch", i));
      }
      byte[] bomb =
          run.envelope(
              new PlaintextBatch(appKey, "bomb", null, null, null, untyped.subList(0, 10_000)));
      assertThat(bomb.length).as("a small upload").isLessThan(64 * 1024);
      run.publishRaw(
          bomb, run.envelope(new PlaintextBatch(appKey, "many", null, null, null, tooMany)));
      run.publish(14, 1_500);
      run.start();
      List<DeadLetter> letters = awaitExactlyTheOraclesOutput(run);
      assertThat(letters)
          .filteredOn(l -> l.eventsRejected() == 10_000)
          .singleElement()
          .satisfies(l -> assertThat(l.events()).hasSize(DeadLetter.MAX_EVENT_SAMPLES));
      assertThat(letters)
          .filteredOn(l -> "more than 10000 events".equals(l.detail()))
          .singleElement()
          .satisfies(l -> assertThat(l.reason()).isEqualTo(RejectReason.BAD_PAYLOAD));
      assertThat(run.jobStatus()).isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
    }
  }

  @Test
  void killedTaskManagerMidStreamRecoversFromItsCheckpointAndOutputIsExactlyOnce()
      throws Exception {
    try (ParserOnMiniCluster run = new ParserOnMiniCluster(KAFKA.kafka(), checkpoints, HOLD);
        CommittedRecords parsed =
            new CommittedRecords(KAFKA.bootstrapServers(), run.topics.parsedEvents())) {
      run.publish(7, 8_000);
      run.start();
      // Committed output means at least one checkpoint has completed.
      parsed.awaitUntil("the first committed output", TIMEOUT, r -> r.size() >= 500);

      run.cluster.terminateTaskManager(0).get();
      run.cluster.startTaskManager();
      run.publish(8, 8_000);

      awaitExactlyTheOraclesOutput(run);
    }
  }

  /**
   * Real faults, more of them over the job's life than the restart strategy allows within its
   * window: checkpoints that cannot be written (a file where a checkpoint's folder must go), first
   * as many in a row as are tolerated (no restart), then one more (a restart from the last good
   * checkpoint), then killed task managers, each after the failure-rate window has passed since the
   * failure before. The job stays up and its output is exactly once.
   */
  @Test
  void failedCheckpointsAreToleratedAndFailuresSpacedBeyondTheRateWindowNeverEndTheJob()
      throws Exception {
    Duration window = Duration.ofSeconds(5);
    try (ParserOnMiniCluster run =
            new ParserOnMiniCluster(KAFKA.kafka(), checkpoints, HOLD, 1, window);
        CommittedRecords parsed =
            new CommittedRecords(KAFKA.bootstrapServers(), run.topics.parsedEvents())) {
      run.publish(11, 6_000);
      run.start();
      parsed.awaitUntil("the first committed output", TIMEOUT, r -> r.size() >= 200);
      int tolerable = ParserOnMiniCluster.TOLERABLE_FAILED_CHECKPOINTS;

      long failedBefore = failedCheckpoints(run);
      long blockedUpTo = blockNextCheckpoints(run, tolerable);
      awaitCheckpointAfter(run, blockedUpTo);
      assertThat(failedCheckpoints(run) - failedBefore).isEqualTo(tolerable);
      assertThat(run.restarts()).as("tolerated checkpoint failures restart nothing").isZero();

      blockedUpTo = blockNextCheckpoints(run, tolerable + 1);
      awaitCheckpointAfter(run, blockedUpTo);
      assertThat(run.restarts()).as("one failure more than tolerated").isEqualTo(1);
      long lastFailure = System.nanoTime();

      for (int kill = 1; kill <= 2; kill++) {
        long since = lastFailure;
        dev.channelanalytics.local.Poll.until(
            "the failure-rate window to pass",
            TIMEOUT,
            () -> System.nanoTime() - since > window.plusSeconds(1).toNanos());
        long before = run.latestCheckpoint();
        // The cluster keeps terminated task managers in its list: the live one is the newest.
        run.cluster.terminateTaskManager(kill - 1).get();
        run.cluster.startTaskManager();
        lastFailure = System.nanoTime();
        run.publish(11 + kill, 2_000);
        awaitCheckpointAfter(run, before);
        assertThat(run.jobStatus()).isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
        assertThat(run.restarts()).isEqualTo(1 + kill);
      }
      awaitExactlyTheOraclesOutput(run);
      assertThat(run.jobStatus()).isEqualTo(org.apache.flink.api.common.JobStatus.RUNNING);
    }
  }

  /**
   * Makes the next {@code count} checkpoints after the one that may be in flight fail for real: a
   * regular file where each one's folder is to be created. Returns the last id blocked.
   */
  private long blockNextCheckpoints(ParserOnMiniCluster run, int count) throws Exception {
    Path jobDir = checkpoints.resolve("checkpoints").resolve(run.jobId().toHexString());
    long first = run.latestCheckpoint() + 2;
    for (long id = first; id < first + count; id++) {
      Path blocker = jobDir.resolve("chk-" + id);
      if (!java.nio.file.Files.exists(blocker)) {
        java.nio.file.Files.writeString(blocker, "not a folder: this checkpoint must fail");
      }
    }
    return first + count - 1;
  }

  private static void awaitCheckpointAfter(ParserOnMiniCluster run, long id) {
    dev.channelanalytics.local.Poll.until(
        "a checkpoint completed after " + id, TIMEOUT, () -> run.latestCheckpoint() > id);
  }

  private static long failedCheckpoints(ParserOnMiniCluster run) throws Exception {
    return run.graph().getCheckpointStatsSnapshot().getCounts().getNumberOfFailedCheckpoints();
  }

  /**
   * Reads both outputs read_committed until the expected totals, then checks them exactly; the dead
   * letters read.
   */
  private static List<DeadLetter> awaitExactlyTheOraclesOutput(ParserOnMiniCluster run) {
    long expectedEvents = run.oracle.acceptedEvents();
    Map<RejectReason, Long> expectedRejects = run.oracle.rejects();
    long expectedRejectCount = expectedRejects.values().stream().mapToLong(Long::longValue).sum();
    assertThat(expectedEvents).isPositive();
    assertThat(expectedRejects).containsKeys(RejectReason.values());

    try (CommittedRecords parsed =
            new CommittedRecords(KAFKA.bootstrapServers(), run.topics.parsedEvents());
        CommittedRecords dead =
            new CommittedRecords(KAFKA.bootstrapServers(), run.topics.deadLetters())) {
      parsed.awaitUntil(
          expectedEvents + " accepted events", TIMEOUT, r -> events(r) >= expectedEvents);
      dead.awaitUntil(
          expectedRejectCount + " rejects in dead letters",
          TIMEOUT,
          r -> rejectCount(r) >= expectedRejectCount);
      // Two more checkpoint intervals and more: anything extra would show up here.
      parsed.readFor(Duration.ofSeconds(2));
      dead.readFor(Duration.ofMillis(200));

      List<ParsedBatch> batches =
          parsed.records().stream().map(ParserOnMiniCluster::parsed).toList();
      assertThat(events(parsed.records())).isEqualTo(expectedEvents);
      assertNoDuplicateOrigins(batches);
      assertThat(firstSeen(batches)).isEqualTo(new TreeMap<>(run.oracle.firstSeen()));
      assertOneUserOnePartition(parsed.records());

      List<DeadLetter> letters =
          dead.records().stream().map(ParserOnMiniCluster::deadLetter).toList();
      Map<RejectReason, Long> rejects = new EnumMap<>(RejectReason.class);
      letters.forEach(l -> rejects.merge(l.reason(), l.rejects(), Long::sum));
      assertThat(rejects).isEqualTo(expectedRejects);
      assertThat(letters).allSatisfy(l -> assertThat(l.envelope()).isNotNull());
      Set<String> letterIds = new HashSet<>();
      // At most one dead letter per reason per envelope (contract section 5, Limits).
      letters.forEach(l -> assertThat(letterIds.add(l.origin() + "#" + l.reason())).isTrue());
      return letters;
    }
  }

  private static long rejectCount(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().mapToLong(r -> ParserOnMiniCluster.deadLetter(r).rejects()).sum();
  }

  private static long events(List<ConsumerRecord<byte[], byte[]>> records) {
    return records.stream().mapToLong(r -> ParserOnMiniCluster.parsed(r).events().size()).sum();
  }

  private static void assertNoDuplicateOrigins(List<ParsedBatch> batches) {
    Set<String> origins = new HashSet<>();
    for (ParsedBatch b : batches) {
      assertThat(origins.add(b.origin().toString())).as("duplicate of %s", b.origin()).isTrue();
    }
  }

  /** The contract's first sighting per user, computed from the parser's output alone. */
  private static Map<User, FirstSeen> firstSeen(List<ParsedBatch> batches) {
    Map<User, FirstSeen> out = new TreeMap<>();
    for (ParsedBatch b : batches) {
      User user = new User(b.productId(), b.deviceId());
      for (DecodedEvent e : b.events()) {
        FirstSeen candidate = new FirstSeen(e.eventTime(), b.channel(), b.appKey());
        FirstSeen known = out.get(user);
        if (known == null || candidate.beats(known)) {
          out.put(user, candidate);
        }
      }
    }
    return out;
  }

  private static void assertOneUserOnePartition(List<ConsumerRecord<byte[], byte[]>> records) {
    Map<String, Integer> partitionOfKey = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
      Integer before = partitionOfKey.putIfAbsent(key, r.partition());
      assertThat(before == null || before == r.partition()).as("user %s", key).isTrue();
    }
  }
}
