package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.http.HttpService;
import dev.channelanalytics.http.HttpService.Access;
import dev.channelanalytics.store.CalibrationRecords;
import dev.channelanalytics.store.ElasticsearchConnection;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report API of contract section 8, on the system's HTTP server ({@link HttpService}):
 *
 * <ul>
 *   <li>{@code GET /api/v1/new-users?product=P&from=F&to=T&granularity=minute|hour|day[&channel=C]}
 *       {@code [&format=csv]} (the settlement export, {@link SettlementCsv})
 *   <li>{@code GET /api/v1/new-users/cumulative?product=P&at=T[&channel=C]}
 *   <li>{@code GET /api/v1/products}, {@code GET /api/v1/channels?product=P}, {@code GET /health}
 *   <li>{@code GET /api/v1/calibration?product=P&from=F&to=T}: the calibration records of the
 *       product's first-seen hours in [F, T), and whether any error rate raised an alert
 *   <li>{@code GET /api/v1/alerts?product=P&from=F&to=T}: the product's channel anomaly alerts
 *       whose window starts in [F, T) ({@link ChannelAlerts})
 *   <li>{@code GET /api/v1/events}: the live dashboards' server-sent events ({@link EventStreams})
 * </ul>
 *
 * <p>Every report needs the viewer role ({@code /health} and the dashboard's files do not); a
 * caller limited to some products finds every other product unknown. A bad parameter answers 400
 * with {@code {"error": "...", "parameter": "..."}}; an unknown product answers empty rows.
 */
final class ReportApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReportApi.class);

  /** A request the API refuses, naming the parameter. */
  static final class BadParameter extends RuntimeException {
    final String parameter;

    BadParameter(String parameter, String message) {
      super(message);
      this.parameter = parameter;
    }
  }

  private final ReportCalculator calculator;
  private final CalibrationRecords calibrations;
  private final AlertStore alerts;
  private final JobHealth jobs;
  private final Limits limits;
  private final EventStreams streams;
  private HttpService server;

  /**
   * What one client may cost the service.
   *
   * @param maxRows the most rows one answer may have; more is a 400 naming the limit
   * @param maxEventStreams live dashboards at once, each with a thread of its own
   * @param requestThreads threads answering requests (queued beyond that)
   */
  record Limits(int maxRows, int maxEventStreams, int requestThreads) {
    /** Events a live dashboard may be behind before it is dropped. */
    static final int EVENTS_BUFFERED = 32;

    /** Connections open beyond the busy threads before new ones wait to be accepted. */
    static final int REQUESTS_QUEUED = 1_000;
  }

  ReportApi(
      ReportCalculator calculator,
      CalibrationRecords calibrations,
      AlertStore alerts,
      JobHealth jobs,
      Limits limits) {
    this.calculator = calculator;
    this.calibrations = calibrations;
    this.alerts = alerts;
    this.jobs = jobs;
    this.limits = limits;
    this.streams = new EventStreams(limits.maxEventStreams(), Limits.EVENTS_BUFFERED);
  }

  /** Windows kept: a few dashboards' worth of ranges, granularities and channels per product. */
  private static final int WINDOWS_KEPT = 1024;

  /** How long an answer's statuses may lag calibration's final marks. */
  static final Duration STATUS_KEPT = Duration.ofSeconds(1);

  /** A report row with its status, as kept for the next request of its window. */
  private record StatusRow(ReportStore.Row row, String status) {}

  private final ReportWindowCache<List<StatusRow>> windows =
      new ReportWindowCache<>(WINDOWS_KEPT, STATUS_KEPT, System::nanoTime);

  /**
   * Starts answering on {@code host:port} (0: any free port) for the callers {@code access} lets
   * in, over TLS when {@code tls} is not null, with {@code metrics} at {@code /metrics}.
   */
  void start(
      String host,
      int port,
      ApiAccess access,
      HttpService.Tls tls,
      dev.channelanalytics.metrics.ServiceMetrics metrics) {
    if (metrics != null) {
      windows.bindTo(metrics.registry());
    }
    // Streams hold their thread while they last; requests share the rest, queued beyond it.
    HttpService.Options options =
        new HttpService.Options(
            "report-api",
            host,
            port,
            limits.requestThreads() + limits.maxEventStreams(),
            Limits.REQUESTS_QUEUED,
            Duration.ofSeconds(30),
            tls);
    server =
        HttpService.start(
            options,
            access,
            metrics,
            routes -> {
              routes.get(
                  "/api/v1/new-users/cumulative",
                  ctx -> handle(ctx, this::cumulative, null),
                  Access.VIEWER);
              routes.get(
                  "/api/v1/new-users",
                  ctx -> handle(ctx, this::newUsers, SettlementCsv::of),
                  Access.VIEWER);
              routes.get(
                  "/api/v1/products",
                  ctx -> handle(ctx, (q, c) -> products(c), null),
                  Access.VIEWER);
              routes.get(
                  "/api/v1/channels", ctx -> handle(ctx, this::channels, null), Access.VIEWER);
              routes.get(
                  "/api/v1/calibration",
                  ctx -> handle(ctx, this::calibration, null),
                  Access.VIEWER);
              routes.get("/api/v1/alerts", ctx -> handle(ctx, this::alerts, null), Access.VIEWER);
              routes.get("/api/v1/events", this::events, Access.VIEWER);
              routes.get("/health", this::health, Access.ANYONE);
              routes.get("/", this::staticFile, Access.ANYONE);
              routes.get("/dashboard", this::staticFile, Access.ANYONE);
              routes.get("/dashboard/<path>", this::staticFile, Access.ANYONE);
            });
  }

  /** Server-sent events: {@code reports} with the products whose reports just changed. */
  private void events(Context ctx) {
    ApiAccess.Grant caller = HttpService.caller(ctx);
    if (!streams.serve(peer(ctx), caller::sees)) {
      HttpService.error(
          ctx,
          503,
          "too many live dashboards: at most "
              + limits.maxEventStreams()
              + " (calculator.max-event-streams); try again later");
    }
  }

  /** The connection of a request, as an event stream's peer. */
  static EventStreams.Peer peer(Context ctx) {
    return new EventStreams.Peer() {
      @Override
      public OutputStream start() throws IOException {
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        out.flush();
        return out;
      }

      @Override
      public String address() {
        return ctx.ip();
      }
    };
  }

  /**
   * The reports of {@code products} changed: drops their kept windows, then tells every live
   * dashboard, which asks again at once; never blocks the caller.
   */
  void broadcast(java.util.Set<String> products) {
    windows.changed(products);
    if (streams.size() > 0) {
      streams.broadcast(products);
    }
  }

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "txt", "text/plain; charset=utf-8");

  /** The dashboard: {@code /} and {@code /dashboard/...} from the classpath. */
  private void staticFile(Context ctx) throws IOException {
    String path = ctx.path();
    if (path.equals("/") || path.equals("/dashboard") || path.equals("/dashboard/")) {
      path = "/dashboard/index.html";
    }
    byte[] body = null;
    if (path.startsWith("/dashboard/") && !path.contains("..")) {
      try (var in = ReportApi.class.getResourceAsStream(path)) {
        body = in == null ? null : in.readAllBytes();
      }
    }
    if (body == null) {
      HttpService.error(ctx, 404, "no such page: " + ctx.path());
      return;
    }
    String ext = path.substring(path.lastIndexOf('.') + 1);
    ctx.status(200).contentType(TYPES.getOrDefault(ext, "application/octet-stream")).result(body);
  }

  int port() {
    return server.port();
  }

  @Override
  public void close() {
    streams.close();
    if (server != null) {
      server.close();
    }
  }

  private interface Endpoint {
    ObjectNode answer(Map<String, String> query, ApiAccess.Grant caller);
  }

  /**
   * Answers a GET with the endpoint's JSON, or with {@code format=csv} its CSV where the endpoint
   * has one ({@code csv} not null); errors are JSON either way.
   */
  private void handle(
      Context ctx, Endpoint endpoint, java.util.function.Function<ObjectNode, String> csv) {
    int status = 200;
    ObjectNode body;
    String text = null;
    try {
      Map<String, String> q = query(ctx.queryString());
      String format = q.remove("format");
      if (format != null && !format.equals("json") && !(format.equals("csv") && csv != null)) {
        throw new BadParameter(
            "format", csv == null ? "format must be json" : "format must be json or csv");
      }
      body = endpoint.answer(q, HttpService.caller(ctx));
      if ("csv".equals(format)) {
        text = csv.apply(body);
      }
    } catch (BadParameter e) {
      status = 400;
      body = error(e.getMessage(), e.parameter);
    } catch (ReportStore.TooManyRows e) {
      status = 400;
      body =
          error(
              "the answer would have more than "
                  + e.limit
                  + " rows (calculator.max-rows): ask for a shorter range, a coarser granularity"
                  + " or one channel",
              null);
      body.put("limit", e.limit);
    } catch (RuntimeException e) {
      LOG.error("request {}?{} failed", ctx.path(), ctx.queryString(), e);
      status = 503;
      body = error("reports are unavailable: " + e.getMessage(), null);
    }
    if (text != null) {
      ctx.status(status)
          .contentType("text/csv; charset=utf-8; header=present")
          .result(text.getBytes(StandardCharsets.UTF_8));
    } else {
      sendJson(ctx, status, body);
    }
  }

  private static void sendJson(Context ctx, int status, ObjectNode body) {
    try {
      HttpService.json(ctx, status, ElasticsearchConnection.JSON.writeValueAsString(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode error(String message, String parameter) {
    ObjectNode e = ElasticsearchConnection.JSON.createObjectNode().put("error", message);
    if (parameter != null) {
      e.put("parameter", parameter);
    }
    return e;
  }

  private ObjectNode newUsers(Map<String, String> q, ApiAccess.Grant caller) {
    String product = required(q, "product");
    Granularity g = Granularity.fromCode(required(q, "granularity"));
    if (g == null) {
      throw new BadParameter("granularity", "granularity must be minute, hour or day");
    }
    Instant from = instant(q, "from");
    Instant to = instant(q, "to");
    if (!from.isBefore(to)) {
      throw new BadParameter("to", "to must be after from");
    }
    String channel = q.get("channel");
    ObjectNode out =
        ElasticsearchConnection.JSON
            .createObjectNode()
            .put("product", product)
            .put("granularity", g.code())
            .put("tz", calculator.zone().getId());
    ArrayNode rows = out.putArray("rows");
    if (!caller.sees(product)) {
      return out; // as an unknown product
    }
    long fromMillis = from.toEpochMilli();
    long toMillis = to.toEpochMilli();
    List<StatusRow> answer =
        windows.answer(
            new ReportWindowCache.Window(
                product, g, fromMillis, toMillis, channel, limits.maxRows()),
            () -> {
              List<ReportStore.Row> stored =
                  calculator
                      .reports()
                      .rows(product, g, fromMillis, toMillis, channel, limits.maxRows());
              java.util.function.Function<ReportStore.Row, String> status =
                  calculator.statusOf(product, g, fromMillis, toMillis);
              List<StatusRow> rowsWithStatus = new java.util.ArrayList<>(stored.size());
              for (ReportStore.Row r : stored) {
                rowsWithStatus.add(new StatusRow(r, status.apply(r)));
              }
              return List.copyOf(rowsWithStatus);
            });
    for (StatusRow sr : answer) {
      ReportStore.Row r = sr.row();
      rows.addObject()
          .put("bucket", Instant.ofEpochMilli(r.bucket()).toString())
          .put("channel", r.channel())
          .put("new_users", r.newUsers())
          .put("status", sr.status());
    }
    return out;
  }

  private ObjectNode cumulative(Map<String, String> q, ApiAccess.Grant caller) {
    String product = required(q, "product");
    Instant at = instant(q, "at");
    String channel = q.get("channel");
    ObjectNode out =
        ElasticsearchConnection.JSON
            .createObjectNode()
            .put("product", product)
            .put("at", at.toString());
    ArrayNode rows = out.putArray("rows");
    long total = 0;
    Map<String, Long> byChannel =
        caller.sees(product) ? calculator.cumulative(product, at.toEpochMilli()) : Map.of();
    if (channel == null) {
      ReportStore.TooManyRows.check(byChannel.size(), limits.maxRows());
    }
    for (Map.Entry<String, Long> e : byChannel.entrySet()) {
      if (channel == null || channel.equals(e.getKey())) {
        rows.addObject().put("channel", e.getKey()).put("new_users", e.getValue());
        total += e.getValue();
      }
    }
    out.put("total", total);
    return out;
  }

  private ObjectNode products(ApiAccess.Grant caller) {
    ObjectNode out = ElasticsearchConnection.JSON.createObjectNode();
    ArrayNode rows = out.putArray("products");
    calculator
        .aggregations()
        .products()
        .forEach(
            (p, users) -> {
              if (caller.sees(p)) {
                rows.addObject().put("product", p).put("new_users", users);
              }
            });
    return out;
  }

  private ObjectNode channels(Map<String, String> q, ApiAccess.Grant caller) {
    String product = required(q, "product");
    ObjectNode out = ElasticsearchConnection.JSON.createObjectNode().put("product", product);
    ArrayNode rows = out.putArray("channels");
    Map<String, Long> byChannel =
        caller.sees(product) ? calculator.cumulative(product, Long.MAX_VALUE) : Map.of();
    ReportStore.TooManyRows.check(byChannel.size(), limits.maxRows());
    byChannel.forEach((c, users) -> rows.addObject().put("channel", c).put("new_users", users));
    return out;
  }

  private ObjectNode calibration(Map<String, String> q, ApiAccess.Grant caller) {
    String product = required(q, "product");
    Instant from = instant(q, "from");
    Instant to = instant(q, "to");
    if (!from.isBefore(to)) {
      throw new BadParameter("to", "to must be after from");
    }
    ObjectNode out =
        ElasticsearchConnection.JSON
            .createObjectNode()
            .put("product", product)
            .put("from", from.toString())
            .put("to", to.toString());
    ArrayNode records = out.putArray("records");
    boolean alert = false;
    for (CalibrationRecords.HourRecord r :
        caller.sees(product)
            ? calibrations.of(product, from.toEpochMilli(), to.toEpochMilli())
            : List.<CalibrationRecords.HourRecord>of()) {
      alert |= r.alert();
      records.add(
          CalibrationRecords.counts(r)
              .put("hour", Instant.ofEpochMilli(r.hour()).toString())
              .put("at", Instant.ofEpochMilli(r.at()).toString()));
    }
    out.put("alert", alert);
    return out;
  }

  private ObjectNode alerts(Map<String, String> q, ApiAccess.Grant caller) {
    String product = required(q, "product");
    Instant from = instant(q, "from");
    Instant to = instant(q, "to");
    if (!from.isBefore(to)) {
      throw new BadParameter("to", "to must be after from");
    }
    ObjectNode out =
        ElasticsearchConnection.JSON
            .createObjectNode()
            .put("product", product)
            .put("from", from.toString())
            .put("to", to.toString());
    ArrayNode list = out.putArray("alerts");
    if (caller.sees(product)) {
      for (ChannelAlert a :
          alerts.of(product, from.toEpochMilli(), to.toEpochMilli(), limits.maxRows())) {
        list.add(a.document().without("next_attempt_at"));
      }
    }
    return out;
  }

  /**
   * {@code GET /health}: 200 and {@code "status": "up"} while every report job keeps the reports
   * fresh, else 503 and {@code "failing"}; either way each job's last success and last error.
   */
  private void health(Context ctx) {
    ObjectNode body = jobs.report();
    sendJson(ctx, jobs.healthy() ? 200 : 503, body);
  }

  private static String required(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null || v.isBlank()) {
      throw new BadParameter(name, name + " is required");
    }
    return v;
  }

  private static Instant instant(Map<String, String> q, String name) {
    String v = required(q, name);
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      try {
        return java.time.OffsetDateTime.parse(v).toInstant();
      } catch (DateTimeParseException e2) {
        throw new BadParameter(
            name, name + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z");
      }
    }
  }

  static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (out.containsKey(key)) {
        throw new BadParameter(key, key + " is given twice");
      }
      out.put(key, value);
    }
    return out;
  }
}
