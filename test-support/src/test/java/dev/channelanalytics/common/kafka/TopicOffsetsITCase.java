package dev.channelanalytics.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.testing.KafkaExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

// Here rather than in common: the embedded broker lives in test-support, which depends on common.
/** Offsets and lag as a read_committed consumer and its group see them, on a real broker. */
class TopicOffsetsITCase {
  @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();

  private final String topic = "offsets-" + UUID.randomUUID();
  private final TopicPartition p0 = new TopicPartition(topic, 0);
  private final TopicPartition p1 = new TopicPartition(topic, 1);
  private TopicOffsets offsets;

  @BeforeEach
  void createTopic() {
    KAFKA.kafka().createTopic(topic, 2);
    offsets = new TopicOffsets(KAFKA.bootstrapServers(), Duration.ofSeconds(30));
  }

  @AfterEach
  void close() {
    offsets.close();
  }

  @Test
  void lagIsWhatTheGroupHasNotCommittedAndNeverNegative() throws Exception {
    try (KafkaProducer<String, String> producer = producer(null)) {
      send(producer, 0, null, 5);
      send(producer, 1, null, 3);
    }
    String group = "group-" + UUID.randomUUID();

    assertThat(offsets.ends(topic)).isEqualTo(Map.of(p0, 5L, p1, 3L));
    assertThat(offsets.lag(group, topic)).isEqualTo(8);
    offsets.commit(group, Map.of(p0, 5L));
    assertThat(offsets.committed(group)).isEqualTo(Map.of(p0, 5L));
    assertThat(offsets.lag(group, topic)).isEqualTo(3);
    offsets.commit(group, Map.of(p1, 3L));
    assertThat(offsets.lag(group, topic)).isZero();
    assertThat(TopicOffsets.lag(Map.of(p0, 5L), Map.of(p0, 7L))).isZero();
  }

  @Test
  void endIsPastTheCommitMarkerAndBeforeAnOpenTransaction() throws Exception {
    try (KafkaProducer<String, String> producer = producer("tx-" + UUID.randomUUID())) {
      producer.initTransactions();
      producer.beginTransaction();
      send(producer, 0, null, 3);
      producer.commitTransaction();
      producer.beginTransaction();
      send(producer, 0, null, 2);

      // Three records and the commit marker; the open transaction's records are not readable yet.
      assertThat(offsets.ends(topic)).containsEntry(p0, 4L);
      producer.commitTransaction();
      assertThat(offsets.ends(topic)).containsEntry(p0, 7L);
    }
  }

  @Test
  void firstAtOrAfterFindsRecordsByTimestamp() throws Exception {
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(2, ChronoUnit.HOURS);
    try (KafkaProducer<String, String> producer = producer(null)) {
      send(producer, 0, hour, 1);
      send(producer, 0, hour.plus(1, ChronoUnit.HOURS), 1);
    }

    assertThat(offsets.firstAtOrAfter(offsets.partitions(topic), hour.plusSeconds(60)))
        .isEqualTo(Map.of(p0, new TopicOffsets.Stamped(1, hour.plus(1, ChronoUnit.HOURS))));
    assertThat(offsets.firstAtOrAfter(offsets.partitions(topic), hour.plus(2, ChronoUnit.HOURS)))
        .isEmpty();
    assertThat(offsets.starts(topic)).isEqualTo(Map.of(p0, 0L, p1, 0L));
  }

  @Test
  void missingTopicIsNamed() {
    assertThatThrownBy(() -> offsets.partitions("no-such-topic"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no-such-topic does not exist");
  }

  private KafkaProducer<String, String> producer(String transactionalId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
    if (transactionalId != null) {
      p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    }
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  /** Sends {@code count} records to {@code partition}, each acknowledged before the next. */
  private void send(KafkaProducer<String, String> producer, int partition, Instant at, int count)
      throws Exception {
    Long timestamp = at == null ? null : at.toEpochMilli();
    for (int i = 0; i < count; i++) {
      producer.send(new ProducerRecord<>(topic, partition, timestamp, "k", "v" + i)).get();
    }
  }
}
