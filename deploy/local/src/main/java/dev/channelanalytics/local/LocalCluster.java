package dev.channelanalytics.local;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.util.ArrayList;
import java.util.List;

/**
 * The production-shaped services of {@code channel up --cluster} ({@code local.cluster=true}): the
 * same engines as in production, each process its own JVM, on one machine. A 3-broker KRaft Kafka
 * cluster (every node broker and controller), a 2-node Elasticsearch cluster, a Flink standalone
 * session cluster (a JobManager and a TaskManager) and a Spark standalone cluster (a master and a
 * worker). The parser and the sharder run on them from their shaded job jars, submitted with
 * Flink's CLI and spark-submit ({@link LocalJobs#parserOnCluster}, {@link
 * LocalJobs#sharderOnCluster}).
 */
final class LocalCluster {
  static final int KAFKA_BROKERS = 3;
  static final int ELASTICSEARCH_NODES = 2;

  private LocalCluster() {}

  static boolean enabled(ChannelConfig config) {
    return Boolean.parseBoolean(config.get(Setting.LOCAL_CLUSTER).trim());
  }

  /** Kafka's brokers on {@code local.kafka.port} and the ports after it. */
  static List<KafkaBroker> kafka(ChannelConfig config, Distributions dist) {
    List<Integer> controllers = new ArrayList<>();
    for (int i = 0; i < KAFKA_BROKERS; i++) {
      controllers.add(config.intValue(Setting.LOCAL_KAFKA_CONTROLLER_PORT) + i);
    }
    java.nio.file.Path clusterId = config.stateDir("kafka").resolve("cluster.id");
    List<KafkaBroker> brokers = new ArrayList<>();
    for (int i = 0; i < KAFKA_BROKERS; i++) {
      String name = "kafka-" + (i + 1);
      brokers.add(
          new KafkaBroker(
              new KafkaBroker.Settings(
                  config.intValue(Setting.LOCAL_KAFKA_PORT) + i,
                  controllers.get(i),
                  config.get(Setting.LOCAL_KAFKA_BROKER_HEAP),
                  config.stateDir(name),
                  config.duration(Setting.KAFKA_MAX_TRANSACTION_TIMEOUT)),
              new KafkaBroker.Member(i + 1, controllers, clusterId),
              dist));
    }
    return brokers;
  }

  /** Elasticsearch's nodes on {@code local.elasticsearch.port} and the port after it. */
  static List<ElasticsearchNode> elasticsearch(ChannelConfig config, Distributions dist) {
    List<Integer> transports = new ArrayList<>();
    for (int i = 0; i < ELASTICSEARCH_NODES; i++) {
      transports.add(config.intValue(Setting.LOCAL_ELASTICSEARCH_TRANSPORT_PORT) + i);
    }
    List<ElasticsearchNode> nodes = new ArrayList<>();
    for (int i = 0; i < ELASTICSEARCH_NODES; i++) {
      String name = "elasticsearch-" + (i + 1);
      nodes.add(
          new ElasticsearchNode(
              new ElasticsearchNode.Settings(
                  config.intValue(Setting.LOCAL_ELASTICSEARCH_PORT) + i,
                  transports.get(i),
                  config.get(Setting.LOCAL_ELASTICSEARCH_HEAP),
                  config.stateDir(name),
                  config.get(Setting.LOCAL_ELASTICSEARCH_USER)),
              new ElasticsearchNode.Member(name, transports, i == 0),
              dist));
    }
    return nodes;
  }

  static FlinkClusterProcess.Shape flink(ChannelConfig config) {
    String metricsPort = config.get(Setting.PARSER_METRICS_PORT).trim();
    return new FlinkClusterProcess.Shape(
        config.intValue(Setting.PARSER_REST_PORT),
        config.intValue(Setting.LOCAL_FLINK_RPC_PORT),
        config.get(Setting.LOCAL_FLINK_JOBMANAGER_MEMORY),
        config.get(Setting.LOCAL_FLINK_TASKMANAGER_MEMORY),
        config.intValue(Setting.PARSER_PARALLELISM),
        config.get(Setting.METRICS_HOST),
        metricsPort.isEmpty() ? 0 : Integer.parseInt(metricsPort));
  }

  static SparkStandaloneProcess.Shape spark(ChannelConfig config) {
    return new SparkStandaloneProcess.Shape(
        config.intValue(Setting.LOCAL_SPARK_MASTER_PORT),
        config.intValue(Setting.LOCAL_SPARK_MASTER_UI_PORT),
        config.intValue(Setting.LOCAL_SPARK_WORKER_UI_PORT),
        config.intValue(Setting.LOCAL_SPARK_WORKER_CORES),
        config.get(Setting.LOCAL_SPARK_WORKER_MEMORY));
  }

  /**
   * The stream jobs with their engines, in start order: the Flink cluster and the parser on it, the
   * Spark cluster and the sharder on it.
   */
  static List<StackService> streamJobs(ChannelConfig config, Distributions dist) {
    FlinkClusterProcess.Shape flink = flink(config);
    SparkStandaloneProcess.Shape spark = spark(config);
    return List.of(
        new FlinkClusterProcess(
            FlinkClusterProcess.Role.JOBMANAGER, flink, config.stateDir("flink-jobmanager"), dist),
        new FlinkClusterProcess(
            FlinkClusterProcess.Role.TASKMANAGER,
            flink,
            config.stateDir("flink-taskmanager"),
            dist),
        LocalJobs.parserOnCluster(config, dist, config.stateDir("parser")),
        new SparkStandaloneProcess(
            SparkStandaloneProcess.Role.MASTER, spark, config.stateDir("spark-master"), dist),
        new SparkStandaloneProcess(
            SparkStandaloneProcess.Role.WORKER, spark, config.stateDir("spark-worker"), dist),
        LocalJobs.sharderOnCluster(config, dist, config.stateDir("sharder"), spark));
  }
}
