package dev.channelanalytics.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The system's tools call its services over TLS when {@code api.tls-keystore} is set, trusting the
 * keystore's own certificate (a real HTTPS server with a keystore made by {@code keytool}), and
 * over plain HTTP otherwise.
 */
class ServiceClientTest {
  @TempDir Path dir;

  @Test
  void withAKeystoreTheToolsSpeakTlsAndTrustTheServicesCertificate() throws Exception {
    String password = "keystore-password-2";
    Path keystore = dir.resolve("services.p12");
    ProcessBuilder keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "services",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass:env",
                "KEYSTORE_PASSWORD")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("keytool.log").toFile());
    keytool.environment().put("KEYSTORE_PASSWORD", password);
    assertThat(keytool.start().waitFor()).as(Files.readString(dir.resolve("keytool.log"))).isZero();

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, password.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password.toCharArray());
    SSLContext serverSsl = SSLContext.getInstance("TLS");
    serverSsl.init(kmf.getKeyManagers(), null, null);
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
    server.setHttpsConfigurator(new HttpsConfigurator(serverSsl));
    server.createContext(
        "/health",
        e -> {
          byte[] body = "{\"status\":\"up\"}".getBytes(StandardCharsets.UTF_8);
          e.sendResponseHeaders(200, body.length);
          e.getResponseBody().write(body);
          e.close();
        });
    server.start();
    try {
      int port = server.getAddress().getPort();
      ChannelConfig plain = ChannelConfig.load(null, dir, Map.of(), new Properties());
      assertThat(ServiceClient.local(plain, port))
          .isEqualTo(URI.create("http://localhost:" + port + "/"));

      ChannelConfig tls =
          plain
              .with(Setting.API_TLS_KEYSTORE, keystore.toString())
              .with(Setting.API_TLS_KEYSTORE_PASSWORD, password);
      URI health = ServiceClient.local(tls, port).resolve("/health");
      assertThat(health.getScheme()).isEqualTo("https");
      HttpResponse<String> r =
          ServiceClient.client(tls, Duration.ofSeconds(5))
              .send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.body()).contains("\"up\"");
      // Without the services' certificate, the JVM's trust store does not know it.
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(health).build(),
                          HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    } finally {
      server.stop(0);
    }
  }
}
