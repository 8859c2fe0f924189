package dev.channelanalytics.sharder;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.KafkaConnection;
import dev.channelanalytics.store.ElasticsearchConnection;
import dev.channelanalytics.store.ElasticsearchEndpoint;
import dev.channelanalytics.store.FirstSeenStore;
import dev.channelanalytics.store.RetryPolicy;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the sharder needs from the configuration, read and checked once; serializable so that
 * tasks can build their own Elasticsearch client from it.
 *
 * @param kafka the Kafka brokers and how to reach them
 * @param parsedEvents the topic of parsed batches
 * @param groupId the consumer group the sharder commits its progress to (for lag; the Spark
 *     checkpoint is what it restarts from)
 * @param elasticsearch the Elasticsearch endpoint
 * @param indexPrefix prefix of per-product indices
 * @param shards primary shards of a new product index
 * @param replicas replicas of a new product index
 * @param trigger micro-batch interval
 * @param checkpointDir the Spark checkpoint location
 * @param maxOffsetsPerTrigger the most records one micro-batch takes
 * @param cacheEntries capacity of the known-sightings cache per JVM
 * @param sparkMaster the master when the job is not started by spark-submit
 */
public record SharderSettings(
    KafkaConnection kafka,
    String parsedEvents,
    String groupId,
    ElasticsearchEndpoint elasticsearch,
    String indexPrefix,
    int shards,
    int replicas,
    Duration trigger,
    String checkpointDir,
    long maxOffsetsPerTrigger,
    int cacheEntries,
    String sparkMaster)
    implements Serializable {

  public static SharderSettings from(ChannelConfig config) {
    URI location = config.stateLocation(Setting.SHARDER_CHECKPOINT_DIR, "sharder/checkpoint");
    // A local folder as a plain path: Hadoop's Path would keep a URI's %20 as literal characters.
    String checkpoints =
        "file".equals(location.getScheme()) ? Path.of(location).toString() : location.toString();
    return new SharderSettings(
        KafkaConnection.of(config),
        config.topics().parsedEvents(),
        config.get(Setting.SHARDER_GROUP_ID),
        ElasticsearchEndpoint.of(config),
        config.get(Setting.SHARDER_INDEX_PREFIX),
        Math.max(1, config.intValue(Setting.SHARDER_INDEX_SHARDS)),
        config.intValue(Setting.SHARDER_INDEX_REPLICAS),
        config.duration(Setting.SHARDER_TRIGGER_INTERVAL),
        checkpoints,
        Math.max(1, config.intValue(Setting.SHARDER_MAX_OFFSETS_PER_TRIGGER)),
        config.intValue(Setting.SHARDER_CACHE_ENTRIES),
        config.get(Setting.SHARDER_SPARK_MASTER));
  }

  /** One store (and its HTTP client) per JVM and settings, reused by every batch's tasks. */
  FirstSeenStore store() {
    return STORES.computeIfAbsent(
        this,
        s ->
            new FirstSeenStore(
                ElasticsearchConnection.open(s.elasticsearch, RetryPolicy.forever()),
                s.indexPrefix,
                s.shards,
                s.replicas));
  }

  private static final java.util.Map<SharderSettings, FirstSeenStore> STORES =
      new java.util.concurrent.ConcurrentHashMap<>();
}
