package dev.channelanalytics.offline;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the offline path for chosen hours through a HiveServer2 endpoint: archives the new mapping
 * records, then per hour archives its raw-logs range (ODS), decodes and maps it (DWD) and reduces
 * it to first sightings (DWS, hourly), and finally publishes the cumulative first sightings (DWS:
 * the last ones merged with the hours computed since, so a run does not read every hour of history)
 * and the hourly new users (ADS). All data work is the HiveQL of {@code resources/hiveql}; this
 * class plans offsets and passes variables, {@link EtlBooks} keeps the books and {@link DueHours}
 * says which hours are due.
 */
public final class OfflineEtl implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfflineEtl.class);

  /** Warehouses whose views this process has replaced already. */
  private static final Set<String> VIEWS_REPLACED = ConcurrentHashMap.newKeySet();

  private final OfflineSettings settings;
  private final WarehouseSession session;
  private final EtlBooks books;
  private final KafkaOffsets offsets;
  private final DueHours dueHours;
  private boolean prepared;

  private OfflineEtl(OfflineSettings settings, WarehouseSession session) {
    this.settings = settings;
    this.session = session;
    this.books = new EtlBooks(session);
    this.offsets = new KafkaOffsets(settings.kafka());
    this.dueHours = new DueHours(settings, books, offsets);
  }

  /** Connects to the warehouse's HiveServer2 endpoint. */
  public static OfflineEtl connect(OfflineSettings settings) throws SQLException {
    WarehouseSession session = WarehouseSession.connect(settings.jdbcUrl(), settings.login());
    try {
      return new OfflineEtl(settings, session);
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /**
   * Computes {@code hours} (any order, each once) and rebuilds the published layers. Hours already
   * archived with a sealed range are not read from Kafka again. An hour that fails does not stop
   * the others; the run then ends with an exception naming every failed hour, which stay due.
   */
  public List<HourResult> run(Collection<Instant> hours, RunProgress progress) throws SQLException {
    prepare();
    archiveMappings();
    TreeSet<HourPartition> distinct = new TreeSet<>((a, b) -> a.start().compareTo(b.start()));
    hours.forEach(h -> distinct.add(new HourPartition(h)));
    List<HourResult> results = new ArrayList<>();
    int done = 0;
    Map<Instant, String> failed = new TreeMap<>();
    for (HourPartition hour : distinct) {
      long started = System.nanoTime();
      try {
        HourResult r = computeHour(hour);
        results.add(r);
        progress.hourDone(
            ++done, distinct.size(), r, Duration.ofNanos(System.nanoTime() - started));
      } catch (HourLost e) {
        // Reported once: logged when first recorded, and no longer due afterwards.
        if (books.markLost(hour, e.partitions)) {
          LOG.error(e.getMessage());
        }
        progress.hourLost(++done, distinct.size(), hour.start(), e.getMessage());
      } catch (SQLException | RuntimeException e) {
        LOG.error("hour {} failed", hour.start(), e);
        failed.put(hour.start(), e.getMessage());
        progress.hourFailed(++done, distinct.size(), hour.start(), e);
      }
    }
    long started = System.nanoTime();
    String how = publish();
    progress.published(
        books.rows("dws_first_seen"),
        books.rows("ads_new_users_hourly"),
        how,
        Duration.ofNanos(System.nanoTime() - started));
    if (!failed.isEmpty()) {
      throw new IllegalStateException(
          failed.size() + " of " + distinct.size() + " hours failed and stay due: " + failed);
    }
    return results;
  }

  /** An hour that can never be archived whole: retention deleted some of its records first. */
  static final class HourLost extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    final transient List<Integer> partitions;

    HourLost(List<Integer> partitions, String message) {
      super(message);
      this.partitions = List.copyOf(partitions);
    }
  }

  /** Creates the tables if needed and, once per process and warehouse, replaces the views. */
  void prepare() throws SQLException {
    if (!prepared) {
      session.run("00_tables.sql", Map.of());
      books.addSourceHourColumn();
      if (VIEWS_REPLACED.add(settings.jdbcUrl())
          || session.query("SHOW VIEWS LIKE 'dwd_rejects'", r -> true).isEmpty()) {
        // Also when the metastore behind the same URL is a fresh one without them.
        session.run("05_views.sql", Map.of());
      }
      prepared = true;
    }
  }

  /** Appends the product-config records not archived yet; returns how many were new. */
  long archiveMappings() throws SQLException {
    TreeMap<Integer, Long> until = offsets.endOffsets(settings.configTopic());
    TreeMap<Integer, Long> from = new TreeMap<>();
    until.keySet().forEach(p -> from.put(p, -2L)); // -2: earliest, in Spark's offsets JSON
    from.putAll(books.archivedConfigUntil());
    boolean anything = false;
    for (var e : until.entrySet()) {
      long f = from.get(e.getKey());
      anything |= f == -2L ? e.getValue() > 0 : f < e.getValue();
    }
    if (!anything) {
      return 0;
    }
    long before = books.rows("ods_product_config");
    Map<String, String> vars = new HashMap<>(commonVariables());
    ArchiveRange plan =
        new ArchiveRange(Instant.EPOCH, from, until, new TreeMap<>(), new TreeMap<>());
    vars.put("config_from", plan.fromJson(settings.configTopic()));
    vars.put("config_until", plan.untilJson(settings.configTopic()));
    session.run("10_ods_product_config.sql", vars);
    long added = books.rows("ods_product_config") - before;
    LOG.info("archived {} product-config records", added);
    return added;
  }

  /** Archives (unless sealed and archived before), decodes, maps and reduces one hour. */
  private HourResult computeHour(HourPartition hour) throws SQLException {
    Map<String, String> vars = new HashMap<>(commonVariables());
    vars.putAll(hour.variables());
    // Until this hour is written whole it counts as never computed, so a failure leaves it due.
    books.forgetComputed(hour);
    boolean keptSealed = books.archivedSealed(hour, offsets.partitions(settings.rawTopic()).size());
    boolean sealed = keptSealed;
    if (!keptSealed) {
      ArchiveRange range = offsets.hourRange(settings.rawTopic(), hour.start());
      HourPartition before = new HourPartition(hour.start().minusSeconds(3600));
      List<Integer> truncated = range.possiblyTruncated(books.archivedUntil(before));
      if (!truncated.isEmpty()) {
        throw new HourLost(
            truncated,
            "hour "
                + hour.start()
                + " cannot be archived complete: in partitions "
                + truncated
                + " of "
                + settings.rawTopic()
                + " it starts where the log now starts, and the records before were deleted"
                + " (retention) without being archived. It is recorded as lost (etl_lost_hours)"
                + " and no longer due; recover it from another copy of the logs.");
      }
      vars.put("raw_from", range.fromJson(settings.rawTopic()));
      vars.put("raw_until", range.untilJson(settings.rawTopic()));
      vars.put("ranges", range.valuesList());
      session.run("20_ods_raw_logs.sql", vars);
      sealed = range.allSealed();
    }
    vars.put("sealed", Boolean.toString(sealed));
    session.run("30_dwd.sql", vars);
    session.run("40_dws_first_seen_hourly.sql", vars);
    session.run("70_etl_hours.sql", vars);
    HourResult result = books.computed(hour, !keptSealed, sealed);
    LOG.info("computed {}", result);
    return result;
  }

  /**
   * Publishes the cumulative first sightings and the hourly new users. The views show one slot; the
   * publish writes the other and then turns the views to it. The first sightings are the shown ones
   * merged with the hours computed since they were published, which reads those hours and the users
   * once, not every hour of history; when that merge cannot be exact (never published, a slot from
   * before source hours were kept, or a computed hour that lost a user's sighting) they are rebuilt
   * from every hour. Returns how, for the run's progress.
   */
  String publish() throws SQLException {
    String shown = books.shownSlot();
    Map<String, String> vars = new HashMap<>(commonVariables());
    vars.put("slot", shown.equals("a") ? "b" : "a");
    vars.put("shown", shown);
    Optional<List<HourPartition>> since = books.hoursComputedSincePublished();
    String how;
    if (since.isPresent() && mergeIsExact(vars, since.get())) {
      session.run("51_dws_first_seen_merge.sql", vars);
      how = "merged " + since.get().size() + " hour(s) computed since the last publish";
    } else {
      session.run("50_dws_first_seen.sql", vars);
      how =
          "rebuilt from every hour: "
              + (since.isEmpty()
                  ? "no publish on record (a new warehouse, or one from before source hours were"
                      + " kept)"
                  : "published sightings would be wrong after a merge (a slot written before"
                      + " source hours, or a computed hour that lost a sighting)");
    }
    session.run("60_ads_new_users_hourly.sql", vars);
    session.run("80_etl_published.sql", vars);
    LOG.info("published first sightings: {}", how);
    return how;
  }

  /**
   * Whether merging {@code hours} into the shown slot gives what a rebuild would: sets the {@code
   * hours} variable and counts the shown sightings a merge would get wrong.
   */
  private boolean mergeIsExact(Map<String, String> vars, List<HourPartition> hours)
      throws SQLException {
    vars.put("hours", sourceHourList(hours));
    long wrong =
        session.count(
            HiveQlScript.load("52_dws_first_seen_merge_check.sql").statements(vars).get(0));
    if (wrong > 0) {
      LOG.warn("{} published first sighting(s) would be wrong after a merge", wrong);
    }
    return wrong == 0;
  }

  /** {@code '2026-11-20 10', ...}, or {@code ''} (no hour) for none: never an empty list. */
  static String sourceHourList(List<HourPartition> hours) {
    if (hours.isEmpty()) {
      return "''";
    }
    return hours.stream()
        .map(h -> "'" + h.sourceHour() + "'")
        .distinct()
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /**
   * Rebuilds DWS and ADS when an hour was computed after the last rebuild (a rebuild that failed,
   * say); returns whether it did.
   */
  public boolean publishIfStale() throws SQLException {
    prepare();
    if (!books.publishedIsStale()) {
      return false;
    }
    publish();
    return true;
  }

  /**
   * The hours to compute now ({@link DueHours}): from the first hour (configured, else the hour of
   * the oldest raw log) to the last hour that ended at least {@code settle} ago. Archives new
   * mapping records first, as they can make hours due.
   */
  public List<Instant> dueHours(Instant now) throws SQLException {
    prepare();
    archiveMappings();
    return dueHours.at(now);
  }

  /** Hourly new users per (product, bucket, channel) as the ADS layer holds them. */
  public Map<String, Long> hourlyNewUsers() throws SQLException {
    Map<String, Long> out = new TreeMap<>();
    session
        .query(
            "SELECT product_id, bucket, channel, new_users FROM ads_new_users_hourly",
            r ->
                Map.entry(
                    r.getString(1) + "|" + r.getString(2) + "|" + r.getString(3), r.getLong(4)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * The Spark Kafka source's connection options as HiveQL {@code OPTIONS} entries, one a line, each
   * followed by a comma. Secrets stay out of the SQL (which the Thrift server may log): with SASL,
   * the warehouse JVM takes the password from its JAAS file ({@code
   * -Djava.security.auth.login.config}, a {@code KafkaClient} section), as Kafka's clients do when
   * no {@code sasl.jaas.config} is set.
   */
  static String kafkaOptions(dev.channelanalytics.common.kafka.KafkaConnection kafka) {
    StringBuilder out = new StringBuilder();
    kafka
        .sparkOptions()
        .forEach(
            (k, v) -> {
              if (k.endsWith("sasl.jaas.config") || k.endsWith("password")) {
                return;
              }
              if (v.contains("'") || v.contains("\\")) {
                throw new IllegalArgumentException(
                    "a Kafka client setting the warehouse gets in SQL has a quote or backslash: "
                        + k);
              }
              out.append(out.length() == 0 ? "" : "\n  ")
                  .append('\'')
                  .append(k)
                  .append("' '")
                  .append(v)
                  .append("',");
            });
    return out.toString();
  }

  private Map<String, String> commonVariables() {
    return Map.of(
        "kafka_options", kafkaOptions(settings.kafka()),
        "raw_topic", settings.rawTopic(),
        "config_topic", settings.configTopic(),
        "keyring_file", settings.keyringFile().toString(),
        "hold_ms", Long.toString(settings.hold().toMillis()),
        "tz", settings.zone().getId());
  }

  @Override
  public void close() throws SQLException {
    try {
      offsets.close();
    } finally {
      session.close();
    }
  }
}
