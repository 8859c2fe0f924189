package dev.channelanalytics.common.security;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * How the system's own tools (the {@code channel} command, the local stack's health probes) call
 * its HTTP services on this host: {@code https} when {@code api.tls-keystore} is set, trusting the
 * certificates in that keystore (so a private CA needs no change to the JVM's trust store), else
 * {@code http}. The services' certificate must name {@code localhost} for these calls.
 */
public final class ServiceClient {
  private ServiceClient() {}

  /** {@code https://localhost:PORT/} with TLS, else {@code http://localhost:PORT/}. */
  public static URI local(ChannelConfig config, int port) {
    return URI.create((tls(config) ? "https" : "http") + "://localhost:" + port + "/");
  }

  /** An HTTP client for the services: trusting the services' own certificates when TLS is on. */
  public static HttpClient client(ChannelConfig config, Duration connectTimeout) {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout);
    if (tls(config)) {
      b.sslContext(trusting(config));
    }
    return b.build();
  }

  private static boolean tls(ChannelConfig config) {
    return !config.get(Setting.API_TLS_KEYSTORE).isBlank();
  }

  private static SSLContext trusting(ChannelConfig config) {
    Path file = config.path(Setting.API_TLS_KEYSTORE);
    try {
      return TrustedCertificates.ofKeystore(file, config.get(Setting.API_TLS_KEYSTORE_PASSWORD));
    } catch (Exception e) {
      throw new ConfigException(
          Setting.API_TLS_KEYSTORE.key() + ": cannot read " + file + " (" + e.getMessage() + ")");
    }
  }
}
