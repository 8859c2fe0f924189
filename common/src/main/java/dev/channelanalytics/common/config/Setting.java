package dev.channelanalytics.common.config;

import java.util.Locale;

/**
 * Every configuration key of the system, with its default, in one place.
 *
 * <p>A setting is read, in rising priority, from its default here, the configuration file, the
 * environment variable {@link #envName()} and the system property {@link #propertyName()}.
 */
public enum Setting {
  KAFKA_BOOTSTRAP_SERVERS("kafka.bootstrap-servers", "localhost:9092", "Kafka brokers"),
  KAFKA_SECURITY_PROTOCOL(
      "kafka.security-protocol",
      "PLAINTEXT",
      "how every client reaches Kafka: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
  KAFKA_SASL_MECHANISM(
      "kafka.sasl-mechanism", "SCRAM-SHA-512", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL_*)"),
  KAFKA_SASL_USERNAME("kafka.sasl-username", "", "the clients' SASL user"),
  KAFKA_SASL_PASSWORD("kafka.sasl-password", "", "the clients' SASL password (a secret)"),
  KAFKA_SSL_TRUSTSTORE(
      "kafka.ssl-truststore",
      "",
      "the brokers' CA: a PEM file (.pem, .crt) or a PKCS12 truststore; empty: the JVM's"),
  KAFKA_SSL_TRUSTSTORE_PASSWORD(
      "kafka.ssl-truststore-password", "", "password of a PKCS12 kafka.ssl-truststore (a secret)"),
  TOPIC_RAW_LOGS("topic.raw-logs", "raw-logs", "encrypted client envelopes"),
  TOPIC_PRODUCT_CONFIG("topic.product-config", "product-config", "app key to product mappings"),
  TOPIC_PARSED_EVENTS("topic.parsed-events", "parsed-events", "decoded, enriched events"),
  TOPIC_DEAD_LETTERS("topic.dead-letters", "dead-letters", "rejects with their reason code"),
  PARTITIONS_RAW_LOGS("topic.raw-logs.partitions", "4", "partitions of raw-logs"),
  PARTITIONS_PRODUCT_CONFIG("topic.product-config.partitions", "1", "partitions of product-config"),
  PARTITIONS_PARSED_EVENTS("topic.parsed-events.partitions", "4", "partitions of parsed-events"),
  PARTITIONS_DEAD_LETTERS("topic.dead-letters.partitions", "1", "partitions of dead-letters"),
  TOPIC_REPLICATION_FACTOR("topic.replication-factor", "1", "replication of created topics"),
  ELASTICSEARCH_URL("elasticsearch.url", "http://localhost:9200", "Elasticsearch HTTP endpoint"),
  ELASTICSEARCH_USERNAME(
      "elasticsearch.username", "", "basic-auth user for Elasticsearch; empty: none"),
  ELASTICSEARCH_PASSWORD(
      "elasticsearch.password", "", "basic-auth password for Elasticsearch (a secret)"),
  ELASTICSEARCH_API_KEY(
      "elasticsearch.api-key",
      "",
      "an encoded Elasticsearch API key (a secret), instead of a user and password"),
  ELASTICSEARCH_CA_FILE(
      "elasticsearch.ca-file",
      "",
      "PEM file of the CA that signed Elasticsearch's HTTPS certificate; empty: the JVM's"),
  KEYRING_FILE("keyring.file", "", "JSON file mapping key id to base64 AES-256 key"),
  KEYRING_JSON("keyring.json", "", "the keyring itself, inline (takes precedence over the file)"),
  REPORT_TIME_ZONE("report.time-zone", "UTC", "time zone of hour and day buckets"),
  UNKNOWN_APP_KEY_HOLD(
      "parser.unknown-app-key-hold", "PT10M", "how long a batch waits for its mapping"),
  PARSER_HOLD_MAX_BYTES(
      "parser.hold-max-bytes",
      "33554432",
      "most envelope bytes one parser subtask holds for mappings; beyond, unknown_app_key at once"),
  PARSER_PARALLELISM("parser.parallelism", "2", "parallelism of the log parser job"),
  PARSER_SINK_LINGER(
      "parser.sink-linger",
      "PT0.05S",
      "how long the parser's Kafka producers wait to fill a batch (larger batches cost less CPU)"),
  PARSER_CHECKPOINT_INTERVAL(
      "parser.checkpoint-interval", "PT1S", "checkpoint interval; parsed events commit with it"),
  PARSER_CHECKPOINT_DIR(
      "parser.checkpoint-dir",
      "",
      "checkpoint folder or URI; empty: parser/checkpoints under state.dir"),
  PARSER_GROUP_ID("parser.group-id", "channel-parser", "consumer group of the parser"),
  PARSER_TRANSACTIONAL_ID_PREFIX(
      "parser.transactional-id-prefix", "channel-parser", "prefix of the sinks' transaction ids"),
  PARSER_TRANSACTION_TIMEOUT(
      "parser.transaction-timeout",
      "PT15M",
      "Kafka transaction timeout; at most kafka.max-transaction-timeout"),
  PARSER_CHECKPOINT_TIMEOUT(
      "parser.checkpoint-timeout", "PT1M", "a checkpoint not done by then has failed"),
  PARSER_TOLERABLE_FAILED_CHECKPOINTS(
      "parser.tolerable-failed-checkpoints",
      "3",
      "checkpoints that may fail in a row before the job restarts from the last good one"),
  PARSER_RESTART_FAILURES(
      "parser.restart-failures",
      "10",
      "failures within parser.restart-failure-interval after which the job gives up"),
  PARSER_RESTART_FAILURE_INTERVAL(
      "parser.restart-failure-interval", "PT10M", "the window parser.restart-failures counts in"),
  PARSER_RESTART_DELAY("parser.restart-delay", "PT5S", "pause before each restart"),
  KAFKA_MAX_TRANSACTION_TIMEOUT(
      "kafka.max-transaction-timeout",
      "PT15M",
      "the brokers' transaction.max.timeout.ms (the local broker is started with it)"),
  PARSER_REST_PORT(
      "parser.rest-port", "8081", "Flink REST API when the parser runs on its own MiniCluster"),
  PARSER_METRICS_PORT(
      "parser.metrics-port",
      "9249",
      "Prometheus metrics of the parser (Flink's metrics, at /metrics); empty: not served"),
  SHARDER_GROUP_ID(
      "sharder.group-id", "channel-sharder", "consumer group (for lag) of the sharder"),
  SHARDER_TRIGGER_INTERVAL("sharder.trigger-interval", "PT0.5S", "micro-batch interval"),
  SHARDER_CHECKPOINT_DIR(
      "sharder.checkpoint-dir",
      "",
      "Spark checkpoint folder or URI; empty: sharder/checkpoint under state.dir"),
  SHARDER_MAX_OFFSETS_PER_TRIGGER(
      "sharder.max-offsets-per-trigger", "500000", "most records one micro-batch takes"),
  SHARDER_INDEX_PREFIX("sharder.index-prefix", "first-seen-", "prefix of per-product indices"),
  SHARDER_INDEX_SHARDS("sharder.index-shards", "1", "primary shards of a new product index"),
  SHARDER_INDEX_REPLICAS("sharder.index-replicas", "0", "replicas of a new product index"),
  SHARDER_CACHE_ENTRIES(
      "sharder.cache-entries", "500000", "known first sightings kept to skip hopeless writes"),
  SHARDER_SPARK_MASTER(
      "sharder.spark-master",
      "local[2,4]",
      "Spark master when not spark-submitted (local[threads,task tries])"),
  SHARDER_UI_PORT(
      "sharder.ui-port", "4040", "Spark UI and REST API when the sharder is not spark-submitted"),
  SHARDER_METRICS_PORT(
      "sharder.metrics-port",
      "9250",
      "Prometheus metrics of the sharder (its micro-batches and writes, at /metrics); empty: not"
          + " served"),
  METRICS_HOST(
      "metrics.host",
      "127.0.0.1",
      "address the parser's and the sharder's metrics endpoints listen on (they have no login)"),
  CALCULATOR_REPORT_INDEX(
      "calculator.report-index", "new-user-reports", "Elasticsearch index of the reports"),
  CALCULATOR_CHANGES_INTERVAL(
      "calculator.changes-interval",
      "PT0.25S",
      "how often the changed-bucket marks are read when the last pass found none"),
  CALCULATOR_TRAILING_WINDOW(
      "calculator.trailing-window", "PT10M", "recomputed every minute besides changed buckets"),
  CALCULATOR_STATE_DIR(
      "calculator.state-dir", "", "Quartz's job store; empty: calculator/ under state.dir"),
  CALCULATOR_HEALTH_GRACE(
      "calculator.health-grace",
      "PT30S",
      "/health fails when a report job has not succeeded for its interval plus this long"),
  CALCULATOR_MAX_ROWS(
      "calculator.max-rows", "100000", "most rows one API answer may have; more answers 400"),
  CALCULATOR_MAX_EVENT_STREAMS(
      "calculator.max-event-streams", "64", "live dashboards connected at once"),
  CALCULATOR_REQUEST_THREADS(
      "calculator.request-threads", "8", "threads answering report API requests"),
  CALCULATOR_PORT("calculator.port", "8080", "report API and dashboard of the reporting service"),
  API_HOST(
      "api.host",
      "localhost",
      "address the report API and the calibration service listen on: loopback by default;"
          + " 0.0.0.0 in a container only the platform reaches"),
  API_TOKENS_FILE(
      "api.tokens-file",
      "",
      "bearer tokens of the HTTP services, each with a role and optionally its products (JSON)"),
  API_ANONYMOUS_ROLE(
      "api.anonymous-role", "none", "role of a request without a token: none or viewer"),
  API_TOKEN(
      "api.token",
      "",
      "the bearer token the channel command sends; empty: the first admin of api.tokens-file"),
  API_TLS_KEYSTORE(
      "api.tls-keystore", "", "PKCS12 keystore of the HTTP services' certificate; empty: no TLS"),
  API_TLS_KEYSTORE_PASSWORD(
      "api.tls-keystore-password", "", "password of api.tls-keystore (a secret)"),
  OFFLINE_JDBC_URL(
      "offline.jdbc-url",
      "jdbc:hive2://localhost:10000/default",
      "HiveServer2 endpoint the offline ETL runs its HiveQL through"),
  OFFLINE_JDBC_USER(
      "offline.jdbc-user", "channel", "the user the offline path logs in to HiveServer2 as"),
  OFFLINE_JDBC_PASSWORD(
      "offline.jdbc-password",
      "",
      "its password (a secret; file:PATH reads it from a file); the local warehouse requires it"
          + " when set"),
  OFFLINE_WAREHOUSE_DIR(
      "offline.warehouse-dir",
      "",
      "local warehouse (metastore and tables); empty: offline/warehouse under state.dir"),
  OFFLINE_SPARK_MASTER(
      "offline.spark-master", "local[2]", "Spark master of the local warehouse service"),
  OFFLINE_SETTLE(
      "offline.settle", "PT15M", "how long after its end an hour is first computed offline"),
  OFFLINE_CHECK_INTERVAL(
      "offline.check-interval", "PT5M", "how often the offline schedule looks for due hours"),
  OFFLINE_SCHEDULE(
      "offline.schedule", "true", "whether the warehouse service runs due hours by itself"),
  OFFLINE_FIRST_HOUR(
      "offline.first-hour",
      "",
      "first hour the schedule computes (ISO instant); empty: the hour of the oldest raw log"),
  CALIBRATION_PORT(
      "calibration.port", "8083", "status and run endpoint of the calibration service"),
  CALIBRATION_DAYS("calibration.days", "7", "trailing days the nightly calibration covers"),
  CALIBRATION_NIGHTLY_CRON(
      "calibration.nightly-cron",
      "0 30 2 * * ?",
      "when the nightly calibration runs (Quartz cron, in the report time zone)"),
  CALIBRATION_ALERT_ERROR_RATE(
      "calibration.alert-error-rate",
      "0.005",
      "an hour whose users differed more than this (differing / offline users) raises an alert"),
  CALIBRATION_CHECK_INTERVAL(
      "calibration.check-interval",
      "PT1M",
      "how often the service looks for offline runs to calibrate after"),
  CALIBRATION_RECOMPUTE_TIMEOUT(
      "calibration.recompute-timeout",
      "PT2M",
      "how long an hour waits for the calculator to recompute the buckets a repair changed"),
  CALIBRATION_WAIT_TIMEOUT(
      "calibration.wait-timeout",
      "PT30M",
      "how long a run waits for due offline hours and real-time lag before it gives up"),
  CALIBRATION_STATE_DIR(
      "calibration.state-dir", "", "Quartz's job store; empty: calibration/ under state.dir"),
  STATE_DIR(
      "state.dir",
      ".local",
      "each component's default state folder, <state.dir>/<component> (the local stack's too)"),
  LOCAL_KAFKA_PORT("local.kafka.port", "9092", "local broker client port"),
  LOCAL_KAFKA_CONTROLLER_PORT("local.kafka.controller-port", "9093", "local KRaft controller"),
  LOCAL_KAFKA_HEAP("local.kafka.heap", "512m", "local broker heap"),
  LOCAL_ELASTICSEARCH_PORT("local.elasticsearch.port", "9200", "local Elasticsearch HTTP port"),
  LOCAL_ELASTICSEARCH_TRANSPORT_PORT(
      "local.elasticsearch.transport-port", "9300", "local Elasticsearch transport port"),
  LOCAL_ELASTICSEARCH_HEAP("local.elasticsearch.heap", "512m", "local Elasticsearch heap"),
  LOCAL_PARSER_HEAP("local.parser.heap", "768m", "heap of the local log parser JVM"),
  LOCAL_SHARDER_HEAP("local.sharder.heap", "1g", "heap of the local sharder JVM"),
  LOCAL_CALCULATOR_HEAP("local.calculator.heap", "384m", "heap of the local calculator JVM"),
  LOCAL_OFFLINE_PORT(
      "local.offline.port", "10000", "HiveServer2 (Hive JDBC) port of the local warehouse"),
  LOCAL_OFFLINE_METASTORE_PORT(
      "local.offline.metastore-port",
      "0",
      "Derby network port of the local metastore, for other processes sharing it (it has no"
          + " login: any local user could change it); 0: off, the metastore is the warehouse's"
          + " own"),
  LOCAL_OFFLINE_STATUS_PORT(
      "local.offline.status-port", "8082", "health and run status of the local warehouse"),
  LOCAL_OFFLINE_HEAP("local.offline.heap", "1g", "heap of the local warehouse JVM"),
  LOCAL_CALIBRATION_HEAP(
      "local.calibration.heap", "512m", "heap of the local calibration service JVM"),
  LOCAL_PROMETHEUS_PORT(
      "local.prometheus.port",
      "9090",
      "the local Prometheus (Debian's prometheus package), scraping every component"),
  LOCAL_DEMO_RATE(
      "local.demo.rate", "50", "envelopes per second of the local demo load (channel up)"),
  LOCAL_ELASTICSEARCH_USER(
      "local.elasticsearch.user", "nobody", "unprivileged user Elasticsearch runs as under root"),
  LOCAL_CLUSTER(
      "local.cluster",
      "false",
      "true: the local stack is production-shaped (channel up --cluster): 3 Kafka brokers on"
          + " local.kafka.port and the two ports after it, 2 Elasticsearch nodes, a Flink"
          + " standalone session cluster and a Spark standalone cluster running the job jars"),
  LOCAL_KAFKA_BROKER_HEAP(
      "local.kafka.broker-heap", "384m", "heap of each broker of the local Kafka cluster"),
  LOCAL_FLINK_JOBMANAGER_MEMORY(
      "local.flink.jobmanager-memory",
      "768m",
      "process size of the local Flink JobManager (jobmanager.memory.process.size)"),
  LOCAL_FLINK_TASKMANAGER_MEMORY(
      "local.flink.taskmanager-memory",
      "1280m",
      "process size of the local Flink TaskManager (taskmanager.memory.process.size)"),
  LOCAL_FLINK_RPC_PORT(
      "local.flink.rpc-port",
      "6123",
      "RPC port of the local Flink JobManager (REST: parser.rest-port)"),
  LOCAL_SPARK_MASTER_PORT(
      "local.spark.master-port", "7077", "port of the local Spark standalone master"),
  LOCAL_SPARK_MASTER_UI_PORT(
      "local.spark.master-ui-port", "8090", "web UI of the local Spark standalone master"),
  LOCAL_SPARK_WORKER_UI_PORT(
      "local.spark.worker-ui-port", "8091", "web UI of the local Spark standalone worker"),
  LOCAL_SPARK_WORKER_MEMORY(
      "local.spark.worker-memory",
      "1g",
      "memory the local Spark worker offers its executors (the sharder's executor takes it all)"),
  LOCAL_SPARK_WORKER_CORES(
      "local.spark.worker-cores", "2", "cores the local Spark worker offers its executors"),
  CALCULATOR_ALERT_WEBHOOK_URL(
      "calculator.alert-webhook-url",
      "",
      "where channel anomaly alerts are POSTed as JSON (a secret: it may hold a token); empty:"
          + " alerts are stored and listed, not delivered"),
  CALCULATOR_ALERT_FACTOR(
      "calculator.alert-factor",
      "5",
      "a channel alerts when its users are further from its baseline median than this many"
          + " robust deviations (MAD, at least the square root of the median)"),
  CALCULATOR_ALERT_MIN_USERS(
      "calculator.alert-min-users",
      "20",
      "users a window or its baseline median needs before a channel's change can alert"),
  CALCULATOR_ALERT_INTERVAL(
      "calculator.alert-interval", "PT1M", "how often the channel anomaly alerts are evaluated"),
  CALCULATOR_ALERT_SETTLE(
      "calculator.alert-settle",
      "PT2M",
      "how long after a window ends it is judged, so users still in the pipeline count");

  private final String key;
  private final String defaultValue;
  private final String description;

  Setting(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The key as written in a configuration file, e.g. {@code kafka.bootstrap-servers}. */
  public String key() {
    return key;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  /** Secret settings are never printed. */
  public boolean secret() {
    return this == KEYRING_JSON
        || this == API_TOKEN
        || this == API_TLS_KEYSTORE_PASSWORD
        || this == KAFKA_SASL_PASSWORD
        || this == KAFKA_SSL_TRUSTSTORE_PASSWORD
        || this == ELASTICSEARCH_PASSWORD
        || this == ELASTICSEARCH_API_KEY
        || this == OFFLINE_JDBC_PASSWORD
        || this == CALCULATOR_ALERT_WEBHOOK_URL;
  }

  /** {@code kafka.bootstrap-servers} is overridden by {@code CHANNEL_KAFKA_BOOTSTRAP_SERVERS}. */
  public String envName() {
    return "CHANNEL_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** {@code kafka.bootstrap-servers} is overridden by {@code -Dchannel.kafka.bootstrap-servers}. */
  public String propertyName() {
    return "channel." + key;
  }
}
