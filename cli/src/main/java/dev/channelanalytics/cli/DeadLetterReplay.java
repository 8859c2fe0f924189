package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.common.kafka.ReplayHeaders;
import dev.channelanalytics.common.kafka.TopicOffsets;
import dev.channelanalytics.common.records.DeadLetter;
import dev.channelanalytics.common.records.RecordOrigin;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Republishes the original envelopes of dead letters to {@code raw-logs}, so uploads rejected for a
 * cause that is gone now (a key the keyring lacked, a mapping that came after the hold) are parsed
 * again. Safe to run any number of times: a replayed envelope can only add first sightings that
 * were missing, never change one (the first-seen rule), and each distinct envelope is sent once per
 * replay, also when earlier replays that were rejected again left more dead letters of it.
 *
 * <p>It reads {@code dead-letters} from its start to the end it has when the replay starts
 * (committed records only). A dead letter whose original was too large to copy ({@code
 * envelope_truncated}) is replayed from {@code raw-logs} at its coordinates while retention keeps
 * it; otherwise it is skipped and said to be, with the archive replay as the way to get it back.
 * Every republished record carries {@link ReplayHeaders}, so replayed traffic is told apart from
 * live traffic.
 */
final class DeadLetterReplay {
  /** Which dead letters to replay: reasons (all when empty) and origin times in [from, to). */
  record Filter(Set<RejectReason> reasons, Instant from, Instant to) {
    boolean matches(DeadLetter d) {
      long t = d.origin().timestamp();
      return (reasons.isEmpty() || reasons.contains(d.reason()))
          && (from == null || t >= from.toEpochMilli())
          && (to == null || t < to.toEpochMilli());
    }

    @Override
    public String toString() {
      return (reasons.isEmpty() ? "every reason" : "reasons " + new TreeSet<>(codes()))
          + (from == null ? "" : ", from " + from)
          + (to == null ? "" : ", to " + to);
    }

    private List<String> codes() {
      return reasons.stream().map(RejectReason::code).toList();
    }
  }

  /** What a replay did; {@code skipped} counts per reason why. */
  record Summary(
      long read,
      long matched,
      Map<String, Long> matchedByReason,
      long republished,
      Map<String, Long> skipped,
      boolean dryRun) {}

  static final String SKIP_UNREADABLE = "not a dead letter";
  static final String SKIP_NO_ENVELOPE = "the raw-logs record had no value";
  static final String SKIP_DUPLICATE = "same envelope as one replayed in this run";
  static final String SKIP_GONE = "original deleted from raw-logs by retention";

  private final ChannelConfig config;
  private final PrintStream out;
  private final String replayId;
  private final boolean dryRun;
  private long wouldSend;

  /** The arrival hours of originals retention deleted from raw-logs. */
  private final TreeSet<Instant> goneHours = new TreeSet<>();

  /**
   * @param dryRun read and count only: say what would be republished, publish nothing
   */
  DeadLetterReplay(ChannelConfig config, PrintStream out, boolean dryRun) {
    this.config = config;
    this.out = out;
    this.dryRun = dryRun;
    this.replayId = "dead-letters " + Instant.now();
  }

  Summary run(Filter filter) {
    String deadLetters = config.topics().deadLetters();
    String raw = config.topics().rawLogs();
    Map<TopicPartition, Long> ends;
    Map<TopicPartition, Long> rawStarts;
    try (TopicOffsets offsets =
        new TopicOffsets(KafkaConnection.of(config), Duration.ofSeconds(30))) {
      ends = offsets.ends(deadLetters);
      rawStarts = offsets.starts(raw);
    }
    long total = 0;
    for (long end : ends.values()) {
      total += end;
    }
    out.printf(
        "replaying the dead letters of %s (%d partition(s), up to %,d records) to %s; %s%n",
        deadLetters, ends.size(), total, raw, filter);
    Map<String, Long> skipped = new TreeMap<>();
    Map<String, Long> matchedByReason = new TreeMap<>();
    Set<ByteBuffer> sent = new HashSet<>();
    // Originals too large to copy, to be read back from raw-logs: offsets per partition.
    Map<Integer, TreeMap<Long, Long>> fromRaw = new TreeMap<>();
    long read = 0;
    long matched = 0;
    ProgressLine progress = new ProgressLine("republished", -1, out);
    try (KafkaPublisher publisher = new KafkaPublisher(KafkaConnection.of(config), progress);
        KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<TopicPartition> open = new ArrayList<>();
      ends.forEach(
          (tp, end) -> {
            if (end > 0) {
              open.add(tp);
            }
          });
      consumer.assign(open);
      consumer.seekToBeginning(open);
      Stall stall = new Stall(deadLetters);
      while (!open.isEmpty()) {
        stall.check(consumer, open);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if (r.offset() >= ends.get(tp)) {
            continue;
          }
          read++;
          DeadLetter d;
          try {
            d = DeadLetter.fromJson(r.value());
          } catch (RuntimeException e) {
            skipped.merge(SKIP_UNREADABLE, 1L, Long::sum);
            continue;
          }
          if (!filter.matches(d)) {
            continue;
          }
          matched++;
          matchedByReason.merge(d.reason().code(), 1L, Long::sum);
          if (d.envelope() == null) {
            skipped.merge(SKIP_NO_ENVELOPE, 1L, Long::sum);
          } else if (d.truncated()) {
            fromRaw
                .computeIfAbsent(d.origin().partition(), p -> new TreeMap<>())
                .put(d.origin().offset(), d.origin().timestamp());
          } else {
            send(publisher, raw, d.origin(), d.envelope(), sent, skipped);
          }
        }
        List<TopicPartition> done = new ArrayList<>();
        for (TopicPartition tp : open) {
          if (consumer.position(tp) >= ends.get(tp)) {
            done.add(tp);
          }
        }
        // Read to where it ended when the replay started: later records are not fetched.
        consumer.pause(done);
        open.removeAll(done);
      }
      replayOriginals(publisher, raw, fromRaw, rawStarts, sent, skipped);
      publisher.flush();
      progress.finish();
      if (publisher.firstError() != null) {
        throw new IllegalStateException(
            progress.errorCount()
                + " record(s) could not be republished to "
                + raw
                + ": "
                + publisher.firstError().getMessage(),
            publisher.firstError());
      }
      Summary summary =
          new Summary(
              read,
              matched,
              matchedByReason,
              dryRun ? wouldSend : progress.doneCount(),
              skipped,
              dryRun);
      out.println(line(summary));
      if (!goneHours.isEmpty()) {
        out.printf(
            "%d original(s) are gone from %s; the offline archive has them if it archived their"
                + " hours: channel replay archive --from %s --to %s%n",
            skipped.get(SKIP_GONE),
            raw,
            goneHours.first(),
            goneHours.last().plus(1, ChronoUnit.HOURS));
      }
      return summary;
    }
  }

  /** Reads the originals too large for their dead letters from raw-logs and republishes them. */
  private void replayOriginals(
      KafkaPublisher publisher,
      String raw,
      Map<Integer, TreeMap<Long, Long>> fromRaw,
      Map<TopicPartition, Long> rawStarts,
      Set<ByteBuffer> sent,
      Map<String, Long> skipped) {
    if (fromRaw.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> rawEnds;
    try (TopicOffsets offsets =
        new TopicOffsets(KafkaConnection.of(config), Duration.ofSeconds(30))) {
      rawEnds = offsets.ends(raw);
    }
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      for (Map.Entry<Integer, TreeMap<Long, Long>> e : fromRaw.entrySet()) {
        TopicPartition tp = new TopicPartition(raw, e.getKey());
        TreeMap<Long, Long> arrived = e.getValue();
        TreeSet<Long> wanted = new TreeSet<>();
        for (long offset : arrived.keySet()) {
          if (offset < rawStarts.getOrDefault(tp, 0L)) {
            gone(arrived.get(offset), skipped);
          } else {
            wanted.add(offset);
          }
        }
        consumer.assign(List.of(tp));
        while (!wanted.isEmpty()) {
          long next = wanted.first();
          consumer.seek(tp, next);
          List<ConsumerRecord<byte[], byte[]>> records = List.of();
          Stall stall = new Stall(raw);
          while (records.isEmpty() && consumer.position(tp) < rawEnds.get(tp)) {
            stall.check(consumer, List.of(tp));
            records = consumer.poll(Duration.ofMillis(500)).records(tp);
          }
          if (records.isEmpty()) {
            // Nothing at or after it up to the end (a compacted or truncated log): it is gone.
            gone(arrived.get(next), skipped);
            wanted.remove(next);
            continue;
          }
          for (ConsumerRecord<byte[], byte[]> r : records) {
            // Offsets the log no longer has (deleted meanwhile) are passed over: gone.
            while (!wanted.isEmpty() && wanted.first() < r.offset()) {
              gone(arrived.get(wanted.pollFirst()), skipped);
            }
            if (wanted.remove(r.offset())) {
              if (r.value() == null) {
                skipped.merge(SKIP_NO_ENVELOPE, 1L, Long::sum);
              } else {
                send(
                    publisher,
                    raw,
                    new RecordOrigin(raw, r.partition(), r.offset(), r.timestamp()),
                    r.value(),
                    sent,
                    skipped);
              }
            }
            if (wanted.isEmpty() || r.offset() >= wanted.last()) {
              break;
            }
          }
        }
      }
    }
  }

  /** An original deleted from raw-logs: skipped, and its arrival hour kept to be said. */
  private void gone(long arrivedAt, Map<String, Long> skipped) {
    skipped.merge(SKIP_GONE, 1L, Long::sum);
    goneHours.add(Instant.ofEpochMilli(arrivedAt).truncatedTo(ChronoUnit.HOURS));
  }

  /** Fails a read whose consumer positions have not moved for {@link #STALL}: Kafka is away. */
  private static final class Stall {
    private final String topic;
    private Map<TopicPartition, Long> positions = Map.of();
    private long since = System.nanoTime();

    Stall(String topic) {
      this.topic = topic;
    }

    void check(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
      Map<TopicPartition, Long> now = new HashMap<>();
      for (TopicPartition tp : partitions) {
        now.put(tp, consumer.position(tp, STALL));
      }
      if (!now.equals(positions)) {
        positions = now;
        since = System.nanoTime();
      } else if (System.nanoTime() - since > STALL.toNanos()) {
        throw new IllegalStateException(
            "reading "
                + topic
                + " made no progress for "
                + STALL.toSeconds()
                + " s; is Kafka"
                + " reachable at the configured kafka.bootstrap-servers?");
      }
    }
  }

  /** How long a read may make no progress before the replay gives up. */
  static final Duration STALL = Duration.ofMinutes(2);

  private void send(
      KafkaPublisher publisher,
      String raw,
      RecordOrigin origin,
      byte[] envelope,
      Set<ByteBuffer> sent,
      Map<String, Long> skipped) {
    if (!sent.add(digest(envelope))) {
      skipped.merge(SKIP_DUPLICATE, 1L, Long::sum);
      return;
    }
    ProducerRecord<byte[], byte[]> record =
        ReplayHeaders.replayed(raw, envelope, replayId, origin.toString());
    if (dryRun) {
      wouldSend++;
    } else {
      publisher.send(record, true);
    }
  }

  /** The first 16 bytes of the envelope's SHA-256: equal envelopes, and only they, share it. */
  static ByteBuffer digest(byte[] envelope) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(envelope);
      return ByteBuffer.wrap(java.util.Arrays.copyOf(d, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String line(Summary s) {
    long skippedTotal = s.skipped().values().stream().mapToLong(Long::longValue).sum();
    return String.format(
        "summary: %,d dead letter(s) read, %,d matched%s, %,d %s, %,d skipped%s",
        s.read(),
        s.matched(),
        s.matchedByReason().isEmpty() ? "" : " (" + counts(s.matchedByReason(), ", ") + ")",
        s.republished(),
        s.dryRun() ? "would be republished (dry run)" : "republished",
        skippedTotal,
        skippedTotal == 0 ? "" : " (" + counts(s.skipped(), "; ") + ")");
  }

  /** Each count before its name: {@code 3 unknown_key, 1 bad_envelope}. */
  private static String counts(Map<String, Long> counts, String separator) {
    StringBuilder sb = new StringBuilder();
    counts.forEach(
        (name, n) ->
            sb.append(sb.length() == 0 ? "" : separator).append(n).append(' ').append(name));
    return sb.toString();
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = KafkaConnection.of(config).properties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(2 * 1024 * 1024));
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
