package dev.channelanalytics.sharder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.kafka.TopicOffsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After each completed micro-batch (so after Elasticsearch acknowledged it), commits the batch's
 * end offsets to the sharder's consumer group and logs the lag.
 *
 * <p>The group offsets are for monitoring only ({@code channel status}, lag alerts); the Spark
 * checkpoint is what a restart resumes from. The end offsets come from the query's progress, not
 * from the records read, because a transactional topic ends each transaction with a marker at an
 * offset no record has: committing after the last record would show a lag of one for ever.
 */
final class GroupProgressCommitter extends StreamingQueryListener {
  private static final Logger LOG = LoggerFactory.getLogger(GroupProgressCommitter.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SharderSettings settings;
  private volatile UUID queryId;
  private TopicOffsets kafka;

  GroupProgressCommitter(SharderSettings settings) {
    this.settings = settings;
  }

  void watch(UUID id) {
    this.queryId = id;
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {}

  @Override
  public synchronized void onQueryProgress(QueryProgressEvent event) {
    if (!event.progress().id().equals(queryId) || event.progress().sources().length == 0) {
      return;
    }
    SourceProgress source = event.progress().sources()[0];
    try {
      Map<TopicPartition, Long> offsets = new HashMap<>();
      JsonNode end = JSON.readTree(source.endOffset()).path(settings.parsedEvents());
      for (Iterator<Map.Entry<String, JsonNode>> it = end.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        offsets.put(
            new TopicPartition(settings.parsedEvents(), Integer.parseInt(e.getKey())),
            e.getValue().asLong());
      }
      if (offsets.isEmpty()) {
        return;
      }
      TopicOffsets k = kafka();
      k.commit(settings.groupId(), offsets);
      long lag = TopicOffsets.lag(k.ends(offsets.keySet()), offsets);
      if (source.numInputRows() > 0 || lag > 0) {
        LOG.info(
            "progress: batch {} of {} rows in {} ms, {} rows/s; consumer lag {}; phases {}",
            event.progress().batchId(),
            source.numInputRows(),
            event.progress().batchDuration(),
            Math.round(source.processedRowsPerSecond()),
            lag,
            event.progress().durationMs());
      }
    } catch (Exception e) {
      LOG.warn("Could not commit the group offsets for monitoring: {}", e.toString());
      closeKafka();
    }
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    if (event.id().equals(queryId)) {
      closeKafka();
    }
  }

  private TopicOffsets kafka() {
    if (kafka == null) {
      kafka = new TopicOffsets(settings.kafka(), Duration.ofSeconds(10));
    }
    return kafka;
  }

  private synchronized void closeKafka() {
    if (kafka != null) {
      kafka.close();
      kafka = null;
    }
  }
}
