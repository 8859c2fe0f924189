package dev.channelanalytics.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.common.security.ApiRole;
import dev.channelanalytics.common.security.ServiceClient;
import dev.channelanalytics.metrics.ServiceMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared HTTP server on a real port: who gets through, in which format, over TLS. */
class HttpServiceTest {
  private static final String ADMIN = "admin-token-0123456789abcdef";
  private static final String VIEWER = "viewer-token-0123456789abcdef";

  @TempDir Path dir;

  private final AtomicInteger runsStarted = new AtomicInteger();
  private HttpService service;
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpService start(ApiRole anonymous, HttpService.Tls tls) {
    return start(anonymous, tls, null);
  }

  private HttpService start(ApiRole anonymous, HttpService.Tls tls, ServiceMetrics metrics) {
    ApiAccess access =
        ApiAccess.of(
            Map.of(
                ADMIN, new ApiAccess.Grant("ops", ApiRole.ADMIN, Set.of()),
                VIEWER, new ApiAccess.Grant("partner", ApiRole.VIEWER, Set.of("game"))),
            anonymous);
    service =
        HttpService.start(
            new HttpService.Options("test", "127.0.0.1", 0, 4, 16, Duration.ofSeconds(30), tls),
            access,
            metrics,
            routes -> {
              routes.get("/health", ctx -> ctx.result("up"), HttpService.Access.ANYONE);
              routes.get(
                  "/reports",
                  ctx ->
                      ctx.result(
                          HttpService.caller(ctx).name()
                              + " sees video: "
                              + HttpService.caller(ctx).sees("video")),
                  HttpService.Access.VIEWER);
              routes.post(
                  "/runs",
                  ctx -> ctx.result("run " + runsStarted.incrementAndGet()),
                  HttpService.Access.ADMIN);
            });
    return service;
  }

  @AfterEach
  void stop() {
    if (service != null) {
      service.close();
    }
  }

  private HttpResponse<String> send(String method, String path, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
            .method(method, HttpRequest.BodyPublishers.ofString(""));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  @Test
  void eachRoleAndMissingAndWrongTokensGetTheirAnswer() throws Exception {
    start(null, null);
    assertThat(send("GET", "/health", Map.of()).body()).isEqualTo("up");

    HttpResponse<String> anonymous = send("GET", "/reports", Map.of());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(anonymous.body()).contains("\"error\"").contains("bearer token is required");
    assertThat(send("GET", "/reports", bearer("wrong-token-0123456789abcdef")).statusCode())
        .isEqualTo(401);

    assertThat(send("GET", "/reports", bearer(VIEWER)).body())
        .isEqualTo("partner sees video: false");
    assertThat(send("GET", "/reports", bearer(ADMIN)).body()).isEqualTo("ops sees video: true");

    HttpResponse<String> viewerRun = send("POST", "/runs", bearer(VIEWER));
    assertThat(viewerRun.statusCode()).isEqualTo(403);
    assertThat(viewerRun.body()).contains("partner").contains("needs admin");
    assertThat(runsStarted).hasValue(0);
    assertThat(send("POST", "/runs", bearer(ADMIN)).body()).isEqualTo("run 1");

    HttpResponse<String> get = send("GET", "/runs", bearer(ADMIN));
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.body()).contains("\"error\"").contains("GET");
    HttpResponse<String> missing = send("GET", "/nothing", Map.of());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).isEqualTo("{\"error\":\"no such page: /nothing\"}");
    assertThat(runsStarted).hasValue(1);
  }

  @Test
  void anAnonymousViewerReadsButACrossOriginSimplePostCannotStartARun() throws Exception {
    start(ApiRole.VIEWER, null);
    assertThat(send("GET", "/reports", Map.of()).body()).isEqualTo("anonymous sees video: true");

    // What a page of another origin can send without a preflight: a form-like POST, no
    // Authorization header. It must start nothing.
    HttpResponse<String> simple =
        send(
            "POST", "/runs", Map.of("Origin", "http://evil.example", "Content-Type", "text/plain"));
    assertThat(simple.statusCode()).isEqualTo(401);
    assertThat(simple.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    // The preflight a page would need to send the header is never granted.
    HttpResponse<String> preflight =
        send(
            "OPTIONS",
            "/runs",
            Map.of(
                "Origin", "http://evil.example",
                "Access-Control-Request-Method", "POST",
                "Access-Control-Request-Headers", "authorization"));
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).isEmpty();
    assertThat(
            send("GET", "/reports", Map.of("Origin", "http://evil.example"))
                .headers()
                .firstValue("Access-Control-Allow-Origin"))
        .isEmpty();
    assertThat(runsStarted).hasValue(0);
  }

  @Test
  void metricsNameEveryRoutesLatencyAndTheJvmForAViewer() throws Exception {
    start(null, null, new ServiceMetrics("test"));
    send("GET", "/reports", bearer(VIEWER));
    send("GET", "/reports", bearer(VIEWER));
    send("POST", "/runs", bearer(ADMIN));
    assertThat(send("GET", "/metrics", Map.of()).statusCode()).isEqualTo(401);
    HttpResponse<String> metrics = send("GET", "/metrics", bearer(VIEWER));
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(metrics.body())
        .containsPattern(
            "http_server_requests_seconds_count\\{[^}]*method=\"GET\"[^}]*route=\"/reports\""
                + "[^}]*status=\"200\"[^}]*\\} 2")
        .containsPattern(
            "http_server_requests_seconds_bucket\\{[^}]*route=\"/runs\"[^}]*le=\"0\\.005\"")
        .contains("jvm_memory_used_bytes{")
        .contains("service=\"test\"");
  }

  /**
   * With {@code api.tls-keystore} the service speaks only TLS, and the system's own tools ({@link
   * dev.channelanalytics.common.security.ServiceClient}, as the command and the stack's probes use
   * it) reach it over https, trusting the keystore's certificates, which the JVM's trust store does
   * not know.
   */
  @Test
  void withAKeystoreItSpeaksOnlyTlsAndTheToolsTrustItsCertificate() throws Exception {
    dev.channelanalytics.testing.TestCertificates certificates =
        dev.channelanalytics.testing.TestCertificates.create(dir.resolve("tls"));
    ChannelConfig config =
        ChannelConfig.load(null, dir, Map.of(), new java.util.Properties())
            .with(Setting.API_TLS_KEYSTORE, certificates.serverP12().toString())
            .with(Setting.API_TLS_KEYSTORE_PASSWORD, certificates.serverP12Password());
    start(ApiRole.VIEWER, HttpService.Tls.of(config));
    assertThat(service.scheme()).isEqualTo("https");

    URI reports = ServiceClient.local(config, service.port()).resolve("/reports");
    assertThat(reports.getScheme()).isEqualTo("https");
    HttpResponse<String> answer =
        ServiceClient.client(config, Duration.ofSeconds(5))
            .send(HttpRequest.newBuilder(reports).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("anonymous sees video: true");

    // Without the services' certificate, the JVM's trust store does not know it.
    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(reports).build(),
                        HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    // Without TLS, nothing.
    assertThatThrownBy(() -> send("GET", "/reports", Map.of()))
        .isInstanceOf(java.io.IOException.class);
    // Without a keystore, the tools call plain http.
    ChannelConfig plain = ChannelConfig.load(null, dir, Map.of(), new java.util.Properties());
    assertThat(ServiceClient.local(plain, 8080)).isEqualTo(URI.create("http://localhost:8080/"));
  }
}
