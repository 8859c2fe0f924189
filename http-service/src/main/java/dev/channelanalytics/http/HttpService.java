package dev.channelanalytics.http;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.common.security.ApiRole;
import dev.channelanalytics.metrics.ServiceMetrics;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server every service of the system runs (the report API and dashboard, the warehouse's
 * status and runs, the calibration service), so that authentication, TLS, bounded threads and the
 * error format are the same everywhere and come from maintained code (Javalin on Jetty 12).
 *
 * <p>Each route says who may call it ({@link Access}); a request that may not answers 401 (no valid
 * token) or 403 (a role too low) with {@code {"error": "..."}} before its handler runs. No route
 * answers CORS, so a web page of another origin cannot read an answer, and every route that starts
 * work is a POST that needs an admin's {@code Authorization} header, which a cross-origin page
 * cannot send without a preflight that is never granted.
 */
public final class HttpService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpService.class);

  /** Who may call a route. */
  public enum Access implements RouteRole {
    /** Anyone who reaches the port: health probes and the dashboard's static files. */
    ANYONE,
    /** A viewer token, or no token when {@code api.anonymous-role} is viewer. */
    VIEWER,
    /** An admin token, always. */
    ADMIN
  }

  /**
   * How a service listens.
   *
   * @param name the service's name in logs and thread names
   * @param host the address to bind
   * @param port the port (0: any free one)
   * @param threads most threads answering requests at once (streams and runs hold theirs)
   * @param queued connections open at once beyond the busy threads; the server stops accepting more
   *     until some close (a client then waits in the kernel's backlog)
   * @param idleTimeout how long a connection may make no progress before it is closed
   * @param tls the keystore of the service's certificate, or null for plain HTTP
   */
  public record Options(
      String name, String host, int port, int threads, int queued, Duration idleTimeout, Tls tls) {}

  /**
   * A PKCS12 keystore with the certificate the service presents.
   *
   * @param keystore the file
   * @param password its password
   */
  public record Tls(Path keystore, String password) {
    @Override
    public String toString() {
      return "Tls[" + keystore + "]";
    }

    /** The TLS of {@code config} ({@code api.tls-keystore}), or null when none is set. */
    public static Tls of(ChannelConfig config) {
      if (config.get(Setting.API_TLS_KEYSTORE).isBlank()) {
        return null;
      }
      Path file = config.path(Setting.API_TLS_KEYSTORE);
      if (!Files.isReadable(file)) {
        throw new ConfigException(
            Setting.API_TLS_KEYSTORE.key() + ": keystore not readable: " + file);
      }
      dev.channelanalytics.common.security.SecretFiles.refuseWorldReadable(
          file, Setting.API_TLS_KEYSTORE);
      return new Tls(file, config.get(Setting.API_TLS_KEYSTORE_PASSWORD));
    }
  }

  private static final String CALLER = "channel.caller";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final Javalin app;
  private final String scheme;

  private HttpService(Javalin app, String scheme) {
    this.app = app;
    this.scheme = scheme;
  }

  /**
   * Starts a service.
   *
   * @param routes registers the routes, each with one {@link Access}; a route without one is
   *     refused at start
   */
  public static HttpService start(
      Options options, ApiAccess access, Consumer<RoutesConfig> routes) {
    return start(options, access, null, routes);
  }

  /**
   * Starts a service that also serves {@code metrics} at {@code GET /metrics} (viewer role, so
   * Prometheus scrapes with a token where anonymous access is off) and records every matched
   * route's latency in it ({@code http_server_requests_seconds}).
   */
  public static HttpService start(
      Options options, ApiAccess access, ServiceMetrics metrics, Consumer<RoutesConfig> routes) {
    // Jetty's acceptor and selector take threads of the pool. Its queue stays unbounded (Jetty's
    // own tasks go through it); load is bounded by the connections accepted at once instead.
    QueuedThreadPool threads =
        new QueuedThreadPool(options.threads() + 4, Math.min(4, options.threads() + 4), 60_000);
    threads.setName(options.name() + "-http");
    Javalin app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              config.http.prefer405over404 = true;
              config.jetty.threadPool = threads;
              config.jetty.modifyServer(
                  server ->
                      server.addBean(
                          new org.eclipse.jetty.server.NetworkConnectionLimit(
                              options.threads() + options.queued(), server)));
              config.jetty.addConnector(
                  (server, http) -> {
                    http.setSendServerVersion(false);
                    ServerConnector connector;
                    if (options.tls() == null) {
                      connector = new ServerConnector(server, new HttpConnectionFactory(http));
                    } else {
                      SslContextFactory.Server ssl = new SslContextFactory.Server();
                      ssl.setKeyStorePath(options.tls().keystore().toString());
                      ssl.setKeyStorePassword(options.tls().password());
                      ssl.setKeyStoreType("PKCS12");
                      SecureRequestCustomizer secure = new SecureRequestCustomizer();
                      secure.setSniHostCheck(false);
                      http.addCustomizer(secure);
                      connector =
                          new ServerConnector(
                              server,
                              new SslConnectionFactory(ssl, "http/1.1"),
                              new HttpConnectionFactory(http));
                    }
                    connector.setHost(options.host());
                    connector.setPort(options.port());
                    connector.setIdleTimeout(options.idleTimeout().toMillis());
                    return connector;
                  });
              config.routes.beforeMatched(
                  ctx -> {
                    ctx.attribute(STARTED, System.nanoTime());
                    authorize(ctx, access);
                  });
              if (metrics != null) {
                config.routes.afterMatched(ctx -> record(ctx, metrics));
                config.routes.get(
                    "/metrics",
                    ctx ->
                        ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                            .result(metrics.scrape()),
                    Access.VIEWER);
              }
              config.routes.error(404, ctx -> errorUnlessSet(ctx, "no such page: " + ctx.path()));
              config.routes.error(
                  405,
                  ctx -> errorUnlessSet(ctx, "method " + ctx.method() + " is not allowed here"));
              config.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                    error(ctx, 500, "the request failed: " + e.getMessage());
                  });
              routes.accept(config.routes);
            });
    app.start();
    HttpService service = new HttpService(app, options.tls() == null ? "http" : "https");
    LOG.info(
        "{} listens on {}://{}:{}/ (anonymous requests: {})",
        options.name(),
        service.scheme,
        options.host(),
        service.port(),
        access.anonymousMay(ApiRole.VIEWER) ? "viewer" : "none");
    return service;
  }

  private static final String STARTED = "channel.started";

  /** Bucket bounds of the request latency histogram: 5 ms to 10 s. */
  private static final java.time.Duration[] LATENCY_BUCKETS = {
    java.time.Duration.ofMillis(5),
    java.time.Duration.ofMillis(10),
    java.time.Duration.ofMillis(25),
    java.time.Duration.ofMillis(50),
    java.time.Duration.ofMillis(100),
    java.time.Duration.ofMillis(250),
    java.time.Duration.ofMillis(500),
    java.time.Duration.ofSeconds(1),
    java.time.Duration.ofMillis(2500),
    java.time.Duration.ofSeconds(5),
    java.time.Duration.ofSeconds(10)
  };

  /**
   * Records a matched request's latency by route (the route's pattern, so the number of series
   * stays that of the routes), method and status; event streams, which last as long as a dashboard
   * stays open, are not requests to time.
   */
  private static void record(Context ctx, ServiceMetrics metrics) {
    Long started = ctx.attribute(STARTED);
    String type = ctx.res().getContentType();
    if (started == null || (type != null && type.startsWith("text/event-stream"))) {
      return;
    }
    io.micrometer.core.instrument.Timer.builder("http.server.requests")
        .description("HTTP requests answered, by route, method and status")
        .tags(
            "route",
            matchedRoute(ctx),
            "method",
            ctx.method().name(),
            "status",
            Integer.toString(ctx.status().getCode()))
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(metrics.registry())
        .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** The pattern of the route that answered (not the after-handler running now). */
  private static String matchedRoute(Context ctx) {
    io.javalin.router.Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
    return matched == null ? "unmatched" : matched.path;
  }

  /** Runs before every matched route: lets the request through or answers 401 or 403. */
  private static void authorize(Context ctx, ApiAccess access) {
    Access needed =
        ctx.routeRoles().stream()
            .filter(Access.class::isInstance)
            .map(Access.class::cast)
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("route without access: " + ctx.path()));
    if (needed == Access.ANYONE) {
      return;
    }
    ApiAccess.Decision decision =
        access.decide(
            ctx.header("Authorization"), needed == Access.ADMIN ? ApiRole.ADMIN : ApiRole.VIEWER);
    if (!decision.allowed()) {
      if (decision.status() == 401) {
        ctx.header("WWW-Authenticate", "Bearer realm=\"channel-analytics\"");
      }
      error(ctx, decision.status(), decision.error());
      ctx.skipRemainingHandlers();
      return;
    }
    ctx.attribute(CALLER, decision.grant());
  }

  /** The caller of a request a route let through. */
  public static ApiAccess.Grant caller(Context ctx) {
    ApiAccess.Grant grant = ctx.attribute(CALLER);
    if (grant == null) {
      throw new IllegalStateException("no caller: the route is open to anyone");
    }
    return grant;
  }

  /** Answers {@code {"error": message}} with {@code status}. */
  public static void error(Context ctx, int status, String message) {
    json(ctx, status, JSON.createObjectNode().put("error", message).toString());
  }

  /** Javalin's own 404 and 405 answers are plain text; a route's own JSON answer is kept. */
  private static void errorUnlessSet(Context ctx, String message) {
    String type = ctx.res().getContentType();
    if (type == null || !type.startsWith("application/json")) {
      error(ctx, ctx.status().getCode(), message);
    }
  }

  /** Answers {@code body} as JSON with {@code status}. */
  public static void json(Context ctx, int status, String body) {
    ctx.status(status)
        .contentType("application/json; charset=utf-8")
        .result(body.getBytes(StandardCharsets.UTF_8));
  }

  /** The port the service listens on. */
  public int port() {
    return app.port();
  }

  /** {@code http} or {@code https}. */
  public String scheme() {
    return scheme;
  }

  @Override
  public void close() {
    app.stop();
  }
}
