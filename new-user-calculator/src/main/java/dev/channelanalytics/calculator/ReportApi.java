package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.channelanalytics.store.CalibrationRecords;
import dev.channelanalytics.store.ElasticsearchConnection;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report API of contract section 8, on the JDK's HTTP server:
 *
 * <ul>
 *   <li>{@code GET /api/v1/new-users?product=P&from=F&to=T&granularity=minute|hour|day[&channel=C]}
 *       {@code [&format=csv]} (the settlement export, {@link SettlementCsv})
 *   <li>{@code GET /api/v1/new-users/cumulative?product=P&at=T[&channel=C]}
 *   <li>{@code GET /api/v1/products}, {@code GET /api/v1/channels?product=P}, {@code GET /health}
 *   <li>{@code GET /api/v1/calibration?product=P&from=F&to=T}: the calibration records of the
 *       product's first-seen hours in [F, T), and whether any error rate raised an alert
 * </ul>
 *
 * <p>A bad parameter answers 400 with {@code {"error": "...", "parameter": "..."}}; an unknown
 * product answers empty rows.
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
  private final JobHealth jobs;
  private final Limits limits;
  private final EventStreams streams;
  private final java.util.concurrent.ExecutorService requests;
  private final HttpServer server;

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

    /** Requests waiting for a thread before new ones are turned away. */
    static final int REQUESTS_QUEUED = 1_000;
  }

  ReportApi(
      ReportCalculator calculator,
      CalibrationRecords calibrations,
      JobHealth jobs,
      Limits limits,
      String host,
      int port)
      throws IOException {
    this.calculator = calculator;
    this.calibrations = calibrations;
    this.jobs = jobs;
    this.limits = limits;
    this.streams = new EventStreams(limits.maxEventStreams(), Limits.EVENTS_BUFFERED);
    this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
    // Bounded: a burst of requests waits in the queue instead of starting threads without end;
    // event streams have threads of their own (EventStreams).
    this.requests =
        new java.util.concurrent.ThreadPoolExecutor(
            limits.requestThreads(),
            limits.requestThreads(),
            60,
            java.util.concurrent.TimeUnit.SECONDS,
            new java.util.concurrent.ArrayBlockingQueue<>(Limits.REQUESTS_QUEUED),
            new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
    server.setExecutor(requests);
    server.createContext("/api/v1/new-users/cumulative", e -> handle(e, this::cumulative));
    server.createContext("/api/v1/new-users", e -> handle(e, this::newUsers, SettlementCsv::of));
    server.createContext("/api/v1/products", e -> handle(e, q -> products()));
    server.createContext("/api/v1/channels", e -> handle(e, this::channels));
    server.createContext("/api/v1/calibration", e -> handle(e, this::calibration));
    server.createContext("/health", this::health);
    server.createContext("/api/v1/events", this::events);
    server.createContext("/", this::staticFile);
  }

  /** Server-sent events: {@code reports} with the products whose reports just changed. */
  private void events(HttpExchange exchange) throws IOException {
    if (!streams.open(exchange)) {
      sendJson(
          exchange,
          503,
          error(
              "too many live dashboards: at most "
                  + limits.maxEventStreams()
                  + " (calculator.max-event-streams); try again later",
              null));
    }
  }

  /** Tells every live dashboard which products' reports changed; never blocks the caller. */
  void broadcast(java.util.Set<String> products) {
    if (streams.size() == 0) {
      return;
    }
    ObjectNode data = ElasticsearchConnection.JSON.createObjectNode();
    ArrayNode list = data.putArray("products");
    products.forEach(list::add);
    streams.broadcast(("event: reports\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
  }

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "txt", "text/plain; charset=utf-8");

  /** The dashboard: {@code /} and {@code /dashboard/...} from the classpath. */
  private void staticFile(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
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
      handle(
          exchange,
          q -> {
            throw new NotFound(exchange.getRequestURI().getPath());
          });
      return;
    }
    String ext = path.substring(path.lastIndexOf('.') + 1);
    exchange
        .getResponseHeaders()
        .set("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"));
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** A path that is neither the API nor the dashboard. */
  static final class NotFound extends RuntimeException {
    NotFound(String path) {
      super("no such page: " + path);
    }
  }

  void start() {
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    streams.close();
    server.stop(0);
    requests.shutdownNow();
  }

  private interface Endpoint {
    ObjectNode answer(Map<String, String> query);
  }

  private void handle(HttpExchange exchange, Endpoint endpoint) throws IOException {
    handle(exchange, endpoint, null);
  }

  /**
   * Answers a GET with the endpoint's JSON, or with {@code format=csv} its CSV where the endpoint
   * has one ({@code csv} not null); errors are JSON either way.
   */
  private void handle(
      HttpExchange exchange, Endpoint endpoint, java.util.function.Function<ObjectNode, String> csv)
      throws IOException {
    int status = 200;
    ObjectNode body;
    String text = null;
    try {
      if (!exchange.getRequestMethod().equals("GET")) {
        status = 405;
        body = error("only GET is supported", null);
      } else {
        Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
        String format = q.remove("format");
        if (format != null && !format.equals("json") && !(format.equals("csv") && csv != null)) {
          throw new BadParameter(
              "format", csv == null ? "format must be json" : "format must be json or csv");
        }
        body = endpoint.answer(q);
        if ("csv".equals(format)) {
          text = csv.apply(body);
        }
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
    } catch (NotFound e) {
      status = 404;
      body = error(e.getMessage(), null);
    } catch (RuntimeException e) {
      LOG.error("request {} failed", exchange.getRequestURI(), e);
      status = 503;
      body = error("reports are unavailable: " + e.getMessage(), null);
    }
    if (text != null) {
      send(
          exchange,
          status,
          "text/csv; charset=utf-8; header=present",
          text.getBytes(StandardCharsets.UTF_8));
    } else {
      sendJson(exchange, status, body);
    }
  }

  private static void sendJson(HttpExchange exchange, int status, ObjectNode body)
      throws IOException {
    send(
        exchange,
        status,
        "application/json; charset=utf-8",
        ElasticsearchConnection.JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] bytes)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static ObjectNode error(String message, String parameter) {
    ObjectNode e = ElasticsearchConnection.JSON.createObjectNode().put("error", message);
    if (parameter != null) {
      e.put("parameter", parameter);
    }
    return e;
  }

  private ObjectNode newUsers(Map<String, String> q) {
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
    List<ReportStore.Row> stored =
        calculator
            .reports()
            .rows(product, g, from.toEpochMilli(), to.toEpochMilli(), channel, limits.maxRows());
    java.util.function.Function<ReportStore.Row, String> status =
        calculator.statusOf(product, g, from.toEpochMilli(), to.toEpochMilli());
    for (ReportStore.Row r : stored) {
      rows.addObject()
          .put("bucket", Instant.ofEpochMilli(r.bucket()).toString())
          .put("channel", r.channel())
          .put("new_users", r.newUsers())
          .put("status", status.apply(r));
    }
    return out;
  }

  private ObjectNode cumulative(Map<String, String> q) {
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
    Map<String, Long> byChannel = calculator.aggregations().cumulative(product, at.toEpochMilli());
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

  private ObjectNode products() {
    ObjectNode out = ElasticsearchConnection.JSON.createObjectNode();
    ArrayNode rows = out.putArray("products");
    calculator
        .aggregations()
        .products()
        .forEach((p, users) -> rows.addObject().put("product", p).put("new_users", users));
    return out;
  }

  private ObjectNode channels(Map<String, String> q) {
    String product = required(q, "product");
    ObjectNode out = ElasticsearchConnection.JSON.createObjectNode().put("product", product);
    ArrayNode rows = out.putArray("channels");
    Map<String, Long> byChannel = calculator.aggregations().cumulative(product, Long.MAX_VALUE);
    ReportStore.TooManyRows.check(byChannel.size(), limits.maxRows());
    byChannel.forEach((c, users) -> rows.addObject().put("channel", c).put("new_users", users));
    return out;
  }

  private ObjectNode calibration(Map<String, String> q) {
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
        calibrations.of(product, from.toEpochMilli(), to.toEpochMilli())) {
      alert |= r.alert();
      records.add(
          CalibrationRecords.counts(r)
              .put("hour", Instant.ofEpochMilli(r.hour()).toString())
              .put("at", Instant.ofEpochMilli(r.at()).toString()));
    }
    out.put("alert", alert);
    return out;
  }

  /**
   * {@code GET /health}: 200 and {@code "status": "up"} while every report job keeps the reports
   * fresh, else 503 and {@code "failing"}; either way each job's last success and last error.
   */
  private void health(HttpExchange exchange) throws IOException {
    ObjectNode body = jobs.report();
    sendJson(exchange, jobs.healthy() ? 200 : 503, body);
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
