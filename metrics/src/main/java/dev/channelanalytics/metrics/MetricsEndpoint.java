package dev.channelanalytics.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} of a {@link ServiceMetrics} for the JVMs that run an engine (the parser's
 * Flink, the sharder's Spark) and so no {@code HttpService}: Jetty 12 and Javalin have no place on
 * those classpaths. The JDK's own server, one thread, nothing but the scrape; bound to the given
 * host (loopback by default) because it has no login: on a cluster, the scraper runs beside it or
 * the platform's network policy admits only the scraper.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

  /** Prometheus' text format, version 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves {@code metrics} at {@code http://host:port/metrics} ({@code port} 0: any free one, see
   * {@link #port()}); fails at once when the port is taken, naming it.
   */
  public static MetricsEndpoint start(ServiceMetrics metrics, String host, int port) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "metrics-endpoint");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", exchange -> answer(exchange, metrics));
    server.start();
    MetricsEndpoint endpoint = new MetricsEndpoint(server, executor);
    LOG.info("metrics at http://{}:{}/metrics", host, endpoint.port());
    return endpoint;
  }

  private static void answer(HttpExchange exchange, ServiceMetrics metrics) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!path.equals("/metrics")) {
        send(exchange, 404, "text/plain", "no such page: " + path + "; metrics are at /metrics\n");
      } else if (!exchange.getRequestMethod().equals("GET")) {
        send(exchange, 405, "text/plain", "only GET\n");
      } else {
        send(exchange, 200, CONTENT_TYPE, metrics.scrape());
      }
    } catch (RuntimeException e) {
      // A meter that fails to read must not leave the scraper hanging; the next scrape retries.
      LOG.warn("metrics scrape failed: {}", e.toString());
    }
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
