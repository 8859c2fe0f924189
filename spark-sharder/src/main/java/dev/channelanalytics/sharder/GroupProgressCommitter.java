package dev.channelanalytics.sharder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
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
  private Admin admin;

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
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      JsonNode end = JSON.readTree(source.endOffset()).path(settings.parsedEvents());
      for (Iterator<Map.Entry<String, JsonNode>> it = end.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        offsets.put(
            new TopicPartition(settings.parsedEvents(), Integer.parseInt(e.getKey())),
            new OffsetAndMetadata(e.getValue().asLong()));
      }
      if (offsets.isEmpty()) {
        return;
      }
      Admin a = admin();
      a.alterConsumerGroupOffsets(settings.groupId(), offsets).all().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      offsets.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
      long lag = 0;
      for (var e :
          a.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
              .all()
              .get(10, TimeUnit.SECONDS)
              .entrySet()) {
        lag += Math.max(0, e.getValue().offset() - offsets.get(e.getKey()).offset());
      }
      if (source.numInputRows() > 0 || lag > 0) {
        LOG.info(
            "progress: batch {} of {} rows in {} ms, {} rows/s; consumer lag {}",
            event.progress().batchId(),
            source.numInputRows(),
            event.progress().batchDuration(),
            Math.round(source.processedRowsPerSecond()),
            lag);
      }
    } catch (Exception e) {
      LOG.warn("Could not commit the group offsets for monitoring: {}", e.toString());
      closeAdmin();
    }
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    if (event.id().equals(queryId)) {
      closeAdmin();
    }
  }

  private Admin admin() {
    if (admin == null) {
      Properties p = new Properties();
      p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
      admin = Admin.create(p);
    }
    return admin;
  }

  private synchronized void closeAdmin() {
    if (admin != null) {
      admin.close();
      admin = null;
    }
  }
}
