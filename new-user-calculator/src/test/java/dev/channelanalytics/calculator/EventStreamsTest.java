package dev.channelanalytics.calculator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.security.ApiRole;
import dev.channelanalytics.http.HttpService;
import dev.channelanalytics.local.Poll;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live dashboards over real connections to the services' HTTP server: one that stops reading cannot
 * hold back the broadcaster (the report jobs) or the dashboards that do read; it is dropped once
 * its buffer is full; connections beyond the cap are refused with a 503.
 */
class EventStreamsTest {
  private EventStreams streams;
  private HttpService server;
  private InetSocketAddress address;

  @BeforeEach
  void start() {
    streams = new EventStreams(2, 4);
    server =
        HttpService.start(
            new HttpService.Options(
                "events-test", "127.0.0.1", 0, 4, 16, Duration.ofSeconds(30), null),
            dev.channelanalytics.common.security.ApiAccess.of(Map.of(), ApiRole.VIEWER),
            routes ->
                routes.get(
                    "/events",
                    ctx -> {
                      if (!streams.serve(ReportApi.peer(ctx), p -> true)) {
                        ctx.status(503);
                      }
                    },
                    HttpService.Access.VIEWER));
    address = new InetSocketAddress("127.0.0.1", server.port());
  }

  @AfterEach
  void stop() {
    streams.close();
    server.close();
  }

  @Test
  void aDashboardThatStopsReadingIsDroppedWithoutBlockingTheBroadcastOrTheOthers()
      throws Exception {
    try (Socket stalled = new Socket()) {
      // A client with a small receive buffer that sends its request and never reads again.
      stalled.setReceiveBufferSize(4096);
      stalled.connect(address);
      OutputStream out = stalled.getOutputStream();
      out.write(
          "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Poll.until(
          "the stalled stream to be taken", Duration.ofSeconds(30), () -> streams.size() == 1);

      try (Socket reader = new Socket()) {
        reader.connect(address);
        reader
            .getOutputStream()
            .write(
                "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        BufferedReader lines =
            new BufferedReader(
                new InputStreamReader(reader.getInputStream(), StandardCharsets.UTF_8));
        Poll.until("both streams", Duration.ofSeconds(30), () -> streams.size() == 2);

        // Far more than the stalled peer's buffers hold: each broadcast returns at once.
        Set<String> event = Set.of("x".repeat(16 * 1024));
        java.util.concurrent.atomic.AtomicBoolean gotLast =
            new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger read =
            new java.util.concurrent.atomic.AtomicInteger();
        Thread reading =
            new Thread(
                () -> {
                  try {
                    for (String line; (line = lines.readLine()) != null; ) {
                      gotLast.compareAndSet(false, line.equals("data: {\"products\":[\"last\"]}"));
                      if (line.startsWith("event: ")) {
                        read.incrementAndGet();
                      }
                    }
                  } catch (Exception ignored) {
                    // closed at the end of the test
                  }
                });
        reading.setDaemon(true);
        reading.start();
        // Each broadcast returns at once; the next one waits only for the reading dashboard, so
        // it keeps up while the stalled one falls behind.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (int sent = 1; sent <= 5_000 && streams.size() == 2; sent++) {
          streams.broadcast(event);
          while (read.get() < sent && streams.size() == 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
          }
        }
        Poll.until(
            "the stalled dashboard to be dropped",
            Duration.ofSeconds(30),
            () -> streams.size() == 1);

        // The reading one still gets events.
        streams.broadcast(Set.of("last"));
        Poll.until("the reading dashboard's last event", Duration.ofSeconds(30), gotLast::get);
        assertThat(streams.size()).isEqualTo(1);
      }
    }
  }

  @Test
  void connectionsBeyondTheCapAre503() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + server.port() + "/events");
    var first =
        http.sendAsync(
            HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
    var second =
        http.sendAsync(
            HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(first.get().statusCode()).isEqualTo(200);
    assertThat(second.get().statusCode()).isEqualTo(200);
    Poll.until("two streams", Duration.ofSeconds(30), () -> streams.size() == 2);
    HttpResponse<String> third =
        http.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(third.statusCode()).isEqualTo(503);
    first.get().body().close();
    second.get().body().close();
  }
}
