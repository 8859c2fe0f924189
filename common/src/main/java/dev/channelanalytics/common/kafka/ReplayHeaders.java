package dev.channelanalytics.common.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The Kafka headers a replay puts on every record it republishes to {@code raw-logs}, so replayed
 * traffic can be told apart from live traffic (and traced to what it replays) without changing the
 * envelope: the contract's bytes go through unchanged.
 */
public final class ReplayHeaders {
  /** Which replay sent the record: {@code dead-letters <started at>} or {@code archive ...}. */
  public static final String REPLAY = "channel-replay";

  /** The {@code raw-logs} record replayed: {@code topic-partition@offset}. */
  public static final String REPLAY_OF = "channel-replay-of";

  /**
   * The parser's counter of the replayed records it read (Flink metric, summed over subtasks), as
   * {@code channel status} shows it.
   */
  public static final String PARSER_METRIC = "envelopesReplayed";

  private ReplayHeaders() {}

  /**
   * A record for {@code topic} carrying {@code value} unchanged (no key: the original's partition
   * is not kept), marked as sent by {@code replay} and copying the record {@code replayOf}.
   */
  public static ProducerRecord<byte[], byte[]> replayed(
      String topic, byte[] value, String replay, String replayOf) {
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, value);
    r.headers().add(REPLAY, replay.getBytes(StandardCharsets.UTF_8));
    r.headers().add(REPLAY_OF, replayOf.getBytes(StandardCharsets.UTF_8));
    return r;
  }
}
