package dev.channelanalytics.offline;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the offline path for chosen hours through a HiveServer2 endpoint: archives the new mapping
 * records, then per hour archives its raw-logs range (ODS), decodes and maps it (DWD) and reduces
 * it to first sightings (DWS, hourly), and finally rebuilds the cumulative first sightings and the
 * hourly new users (DWS, ADS). All data work is the HiveQL of {@code resources/hiveql}; this class
 * plans offsets, passes variables and keeps the books.
 *
 * <p>Late logs: {@link #dueHours} says which hours to (re)compute so that the offline numbers
 * converge to the contract's answer: every hour never computed, every hour whose archive range has
 * grown since (only possible while a partition has no record of a later hour yet), and every hour
 * whose uploads a mapping archived after its computation could map differently.
 */
public final class OfflineEtl implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfflineEtl.class);
  private static final DateTimeFormatter DT = DateTimeFormatter.ofPattern("yyyy-MM-dd");

  /** What one hour held after it was computed. */
  public record HourResult(
      Instant hour, long records, long events, long rejects, boolean rearchived, boolean sealed) {}

  /** Hears about each step of a run, for progress lines. */
  public interface Progress {
    void hourDone(int done, int total, HourResult result, Duration took);

    void hourFailed(int done, int total, Instant hour, Exception cause);

    void published(long users, long rows, Duration took);

    Progress SILENT =
        new Progress() {
          @Override
          public void hourDone(int done, int total, HourResult result, Duration took) {}

          @Override
          public void hourFailed(int done, int total, Instant hour, Exception cause) {}

          @Override
          public void published(long users, long rows, Duration took) {}
        };
  }

  /** Warehouses whose views this process has replaced already. */
  private static final Set<String> VIEWS_REPLACED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final OfflineSettings settings;
  private final Connection connection;
  private final Statement statement;
  private final KafkaOffsets offsets;
  private boolean prepared;

  private OfflineEtl(OfflineSettings settings, Connection connection, Statement statement) {
    this.settings = settings;
    this.connection = connection;
    this.statement = statement;
    this.offsets = new KafkaOffsets(settings.bootstrapServers());
  }

  /** Connects to the warehouse's HiveServer2 endpoint. */
  public static OfflineEtl connect(OfflineSettings settings) throws SQLException {
    try {
      Class.forName("org.apache.hive.jdbc.HiveDriver");
    } catch (ClassNotFoundException e) {
      throw new SQLException("the Hive JDBC driver (hive-jdbc) is not on the classpath", e);
    }
    Connection c;
    try {
      c = DriverManager.getConnection(settings.jdbcUrl(), "channel", "");
    } catch (SQLException e) {
      throw new SQLException(
          "cannot reach the warehouse at "
              + settings.jdbcUrl()
              + " (is it running? channel up starts it): "
              + e.getMessage(),
          e);
    }
    try {
      return new OfflineEtl(settings, c, c.createStatement());
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * Computes {@code hours} (any order, each once) and rebuilds the published layers. Hours already
   * archived with a sealed range are not read from Kafka again. An hour that fails does not stop
   * the others; the run then ends with an exception naming every failed hour, which stay due.
   */
  public List<HourResult> run(Collection<Instant> hours, Progress progress) throws SQLException {
    prepare();
    archiveMappings();
    TreeSet<Instant> distinct = new TreeSet<>();
    hours.forEach(h -> distinct.add(h.truncatedTo(ChronoUnit.HOURS)));
    List<HourResult> results = new ArrayList<>();
    int done = 0;
    Map<Instant, String> failed = new TreeMap<>();
    for (Instant hour : distinct) {
      long started = System.nanoTime();
      try {
        HourResult r = computeHour(hour);
        results.add(r);
        progress.hourDone(
            ++done, distinct.size(), r, Duration.ofNanos(System.nanoTime() - started));
      } catch (SQLException | RuntimeException e) {
        LOG.error("hour {} failed", hour, e);
        failed.put(hour, e.getMessage());
        progress.hourFailed(++done, distinct.size(), hour, e);
      }
    }
    long started = System.nanoTime();
    publish();
    progress.published(
        count("SELECT count(*) FROM dws_first_seen"),
        count("SELECT count(*) FROM ads_new_users_hourly"),
        Duration.ofNanos(System.nanoTime() - started));
    if (!failed.isEmpty()) {
      throw new IllegalStateException(
          failed.size() + " of " + distinct.size() + " hours failed and stay due: " + failed);
    }
    return results;
  }

  /** Creates the tables if needed; every session works in UTC. */
  void prepare() throws SQLException {
    if (!prepared) {
      statement.execute("SET spark.sql.session.timeZone=UTC");
      HiveQlScript.load("00_tables.sql").run(statement, Map.of());
      if (VIEWS_REPLACED.add(settings.jdbcUrl()) || !viewsExist()) {
        HiveQlScript.load("05_views.sql").run(statement, Map.of());
      }
      prepared = true;
    }
  }

  /**
   * Whether the DWD views exist (a warehouse on a fresh metastore behind the same URL has none).
   */
  private boolean viewsExist() throws SQLException {
    try (ResultSet r = statement.executeQuery("SHOW VIEWS LIKE 'dwd_rejects'")) {
      return r.next();
    }
  }

  /** Appends the product-config records not archived yet; returns how many were new. */
  long archiveMappings() throws SQLException {
    TreeMap<Integer, Long> until = offsets.endOffsets(settings.configTopic());
    TreeMap<Integer, Long> from = new TreeMap<>();
    until.keySet().forEach(p -> from.put(p, -2L)); // -2: earliest, in Spark's offsets JSON
    try (ResultSet r =
        statement.executeQuery(
            "SELECT kafka_partition, max(kafka_offset) FROM ods_product_config"
                + " GROUP BY kafka_partition")) {
      while (r.next()) {
        from.put(r.getInt(1), r.getLong(2) + 1);
      }
    }
    boolean anything = false;
    for (var e : until.entrySet()) {
      long f = from.get(e.getKey());
      anything |= f == -2L ? e.getValue() > 0 : f < e.getValue();
    }
    if (!anything) {
      return 0;
    }
    long before = count("SELECT count(*) FROM ods_product_config");
    Map<String, String> vars = new HashMap<>(commonVariables());
    ArchiveRange plan =
        new ArchiveRange(Instant.EPOCH, from, until, new TreeMap<>(), new TreeMap<>());
    vars.put("config_from", plan.fromJson(settings.configTopic()));
    vars.put("config_until", plan.untilJson(settings.configTopic()));
    HiveQlScript.load("10_ods_product_config.sql").run(statement, vars);
    long added = count("SELECT count(*) FROM ods_product_config") - before;
    LOG.info("archived {} product-config records", added);
    return added;
  }

  /** Archives (unless sealed and archived before), decodes, maps and reduces one hour. */
  HourResult computeHour(Instant hour) throws SQLException {
    Map<String, String> vars = new HashMap<>(commonVariables());
    vars.putAll(hourVariables(hour));
    // Until this hour is written whole it counts as never computed, so a failure leaves it due.
    statement.execute(
        "ALTER TABLE etl_hours DROP IF EXISTS PARTITION (dt = '"
            + vars.get("dt")
            + "', hour = '"
            + vars.get("hour")
            + "')");
    boolean storedSealed = storedRangeSealed(hour);
    boolean sealed = storedSealed;
    if (!storedSealed) {
      ArchiveRange range = offsets.hourRange(settings.rawTopic(), hour);
      List<Integer> truncated =
          range.possiblyTruncated(
              storedUntilOffsets(hour.minus(1, ChronoUnit.HOURS))
                  .get(hour.minus(1, ChronoUnit.HOURS).toEpochMilli()));
      if (!truncated.isEmpty()) {
        throw new IllegalStateException(
            "hour "
                + hour
                + " cannot be archived complete: in partitions "
                + truncated
                + " of "
                + settings.rawTopic()
                + " it starts where the log now starts, and the records before were deleted"
                + " (retention) without being archived. The hour stays unarchived; recover it"
                + " from another copy of the logs, or set offline.first-hour to a later hour.");
      }
      vars.put("raw_from", range.fromJson(settings.rawTopic()));
      vars.put("raw_until", range.untilJson(settings.rawTopic()));
      vars.put("ranges", range.valuesList());
      HiveQlScript.load("20_ods_raw_logs.sql").run(statement, vars);
      sealed = range.allSealed();
    }
    vars.put("sealed", Boolean.toString(sealed));
    HiveQlScript.load("30_dwd.sql").run(statement, vars);
    HiveQlScript.load("40_dws_first_seen_hourly.sql").run(statement, vars);
    HiveQlScript.load("70_etl_hours.sql").run(statement, vars);
    try (ResultSet r =
        statement.executeQuery(
            "SELECT records, events, rejects FROM etl_hours WHERE dt = '"
                + vars.get("dt")
                + "' AND hour = '"
                + vars.get("hour")
                + "'")) {
      r.next();
      HourResult result =
          new HourResult(hour, r.getLong(1), r.getLong(2), r.getLong(3), !storedSealed, sealed);
      LOG.info("computed {}", result);
      return result;
    }
  }

  /** Rebuilds the cumulative first sightings and the hourly new users from every hour. */
  void publish() throws SQLException {
    Map<String, String> vars = new HashMap<>(commonVariables());
    // The views show one slot; the rebuild writes the other and then turns the views to it.
    String shown = "a";
    try (ResultSet r = statement.executeQuery("SELECT slot FROM etl_published")) {
      if (r.next() && "b".equals(r.getString(1))) {
        shown = "b";
      }
    }
    vars.put("slot", shown.equals("a") ? "b" : "a");
    HiveQlScript.load("50_dws_first_seen.sql").run(statement, vars);
    HiveQlScript.load("60_ads_new_users_hourly.sql").run(statement, vars);
    HiveQlScript.load("80_etl_published.sql").run(statement, vars);
  }

  /**
   * Rebuilds DWS and ADS when an hour was computed after the last rebuild (a rebuild that failed,
   * say); returns whether it did.
   */
  public boolean publishIfStale() throws SQLException {
    prepare();
    try (ResultSet r =
        statement.executeQuery(
            "SELECT (SELECT max(computed_at) FROM etl_hours),"
                + " (SELECT max(published_at) FROM etl_published)")) {
      r.next();
      java.sql.Timestamp computed = r.getTimestamp(1);
      java.sql.Timestamp published = r.getTimestamp(2);
      if (computed == null || (published != null && !published.before(computed))) {
        return false;
      }
    }
    publish();
    return true;
  }

  /**
   * The hours to compute now: from the first hour (configured, else the hour of the oldest raw log)
   * to the last hour that ended at least {@code settle} ago, each hour never computed, computed
   * with a range that has grown since, or computed before a mapping that may change its uploads'
   * products was archived. Archives new mapping records first.
   */
  public List<Instant> dueHours(Instant now) throws SQLException {
    prepare();
    archiveMappings();
    Instant last =
        now.minus(settings.settle()).truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
    Instant first = settings.firstHour().orElseGet(this::firstCompleteHour);
    if (first == null || first.isAfter(last)) {
      return List.of();
    }
    Map<Long, Boolean> computed = new HashMap<>();
    try (ResultSet r = statement.executeQuery("SELECT hour_start, sealed FROM etl_hours")) {
      while (r.next()) {
        computed.put(r.getLong(1), r.getBoolean(2));
      }
    }
    Set<Long> remapped = new HashSet<>();
    try (ResultSet r =
        statement.executeQuery(
            "SELECT DISTINCT h.hour_start FROM etl_hours h JOIN ods_product_config m"
                + " ON m.archived_at > h.computed_at"
                + " AND unix_millis(m.kafka_timestamp) < h.hour_start + 3600000 + "
                + settings.hold().toMillis())) {
      while (r.next()) {
        remapped.add(r.getLong(1));
      }
    }
    Map<Long, Map<Integer, Long>> storedUntil = storedUntilOffsets(null);
    List<Instant> due = new ArrayList<>();
    for (Instant h = first; !h.isAfter(last); h = h.plus(1, ChronoUnit.HOURS)) {
      long key = h.toEpochMilli();
      Boolean sealed = computed.get(key);
      if (sealed == null || remapped.contains(key)) {
        due.add(h);
      } else if (!sealed) {
        ArchiveRange now2 = offsets.hourRange(settings.rawTopic(), h);
        if (!now2.until().equals(storedUntil.get(key))) {
          due.add(h);
        }
      }
    }
    return due;
  }

  /**
   * The hour of the oldest raw log; the hour after it when retention has already deleted records,
   * because the oldest hour then cannot be archived whole.
   */
  private Instant firstCompleteHour() {
    Instant first = offsets.firstHour(settings.rawTopic()).orElse(null);
    if (first != null && offsets.trimmed(settings.rawTopic())) {
      LOG.warn(
          "{} has lost its oldest records to retention; the offline path starts after {}",
          settings.rawTopic(),
          first);
      return first.plus(1, ChronoUnit.HOURS);
    }
    return first;
  }

  /** Hourly new users per (product, bucket, channel) as the ADS layer holds them. */
  public Map<String, Long> hourlyNewUsers() throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    try (ResultSet r =
        statement.executeQuery(
            "SELECT product_id, bucket, channel, new_users FROM ads_new_users_hourly")) {
      while (r.next()) {
        out.put(r.getString(1) + "|" + r.getString(2) + "|" + r.getString(3), r.getLong(4));
      }
    }
    return out;
  }

  private boolean storedRangeSealed(Instant hour) throws SQLException {
    Map<String, String> v = hourVariables(hour);
    try (ResultSet r =
        statement.executeQuery(
            "SELECT count(*), count(IF(sealed, 1, NULL)) FROM ods_archive_ranges WHERE dt = '"
                + v.get("dt")
                + "' AND hour = '"
                + v.get("hour")
                + "'")) {
      r.next();
      long partitions = r.getLong(1);
      return partitions > 0
          && partitions == r.getLong(2)
          && partitions == offsets.partitions(settings.rawTopic()).size();
    }
  }

  /** The archived until offsets per hour start and partition: of one hour, or of all (null). */
  private Map<Long, Map<Integer, Long>> storedUntilOffsets(Instant onlyHour) throws SQLException {
    Map<Long, Map<Integer, Long>> out = new HashMap<>();
    String where = "";
    if (onlyHour != null) {
      Map<String, String> v = hourVariables(onlyHour);
      where = " WHERE dt = '" + v.get("dt") + "' AND hour = '" + v.get("hour") + "'";
    }
    try (ResultSet r =
        statement.executeQuery(
            "SELECT unix_millis(to_timestamp(concat(dt, ' ', hour), 'yyyy-MM-dd HH')),"
                + " kafka_partition, until_offset FROM ods_archive_ranges"
                + where)) {
      while (r.next()) {
        out.computeIfAbsent(r.getLong(1), k -> new TreeMap<>()).put(r.getInt(2), r.getLong(3));
      }
    }
    return out;
  }

  private Map<String, String> commonVariables() {
    return Map.of(
        "bootstrap_servers", settings.bootstrapServers(),
        "raw_topic", settings.rawTopic(),
        "config_topic", settings.configTopic(),
        "keyring_file", settings.keyringFile().toString(),
        "hold_ms", Long.toString(settings.hold().toMillis()),
        "tz", settings.zone().getId());
  }

  private static Map<String, String> hourVariables(Instant hour) {
    var utc = hour.atOffset(ZoneOffset.UTC);
    return Map.of(
        "dt", DT.format(utc),
        "hour", String.format("%02d", utc.getHour()),
        "hour_start", Long.toString(hour.toEpochMilli()));
  }

  private long count(String sql) throws SQLException {
    try (ResultSet r = statement.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  @Override
  public void close() throws SQLException {
    try {
      offsets.close();
    } finally {
      try {
        statement.close();
      } finally {
        connection.close();
      }
    }
  }
}
