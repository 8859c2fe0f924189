package dev.channelanalytics.store;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.TrustedCertificates;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.net.ssl.SSLContext;

/**
 * Where and as whom the system reaches Elasticsearch: the URL ({@code https} in production), basic
 * auth ({@code elasticsearch.username} and {@code .password}) or an API key ({@code
 * elasticsearch.api-key}), and the CA that signed the cluster's certificate ({@code
 * elasticsearch.ca-file}, PEM). Serializable, so the sharder's executors open their own connections
 * with it; {@link #toString()} names no secret.
 *
 * @param url the HTTP endpoint
 * @param username basic-auth user, or empty
 * @param password basic-auth password, or empty
 * @param apiKey an encoded API key, or empty
 * @param caFile the CA's PEM file, or empty for the JVM's trusted CAs
 */
public record ElasticsearchEndpoint(
    URI url, String username, String password, String apiKey, String caFile)
    implements Serializable {

  /** An endpoint without credentials, as the local stack and the tests run Elasticsearch. */
  public static ElasticsearchEndpoint of(URI url) {
    return new ElasticsearchEndpoint(url, "", "", "", "");
  }

  /**
   * The endpoint {@code config} describes.
   *
   * @throws ConfigException for a user without a password, both a user and an API key, or a CA file
   *     that cannot be read
   */
  public static ElasticsearchEndpoint of(ChannelConfig config) {
    String user = config.get(Setting.ELASTICSEARCH_USERNAME);
    String password = config.get(Setting.ELASTICSEARCH_PASSWORD);
    String apiKey = config.get(Setting.ELASTICSEARCH_API_KEY);
    if (!user.isBlank() && password.isEmpty()) {
      throw new ConfigException(
          Setting.ELASTICSEARCH_USERNAME.key()
              + " needs "
              + Setting.ELASTICSEARCH_PASSWORD.key()
              + " (a secret: "
              + Setting.ELASTICSEARCH_PASSWORD.envName()
              + ")");
    }
    if (!user.isBlank() && !apiKey.isEmpty()) {
      throw new ConfigException(
          "give either "
              + Setting.ELASTICSEARCH_USERNAME.key()
              + " or "
              + Setting.ELASTICSEARCH_API_KEY.key()
              + ", not both");
    }
    String ca = "";
    if (!config.get(Setting.ELASTICSEARCH_CA_FILE).isBlank()) {
      Path file = config.path(Setting.ELASTICSEARCH_CA_FILE);
      if (!Files.isReadable(file)) {
        throw new ConfigException(Setting.ELASTICSEARCH_CA_FILE.key() + ": not readable: " + file);
      }
      ca = file.toString();
    }
    return new ElasticsearchEndpoint(config.elasticsearchUrl(), user, password, apiKey, ca);
  }

  /** The {@code Authorization} header value, or null without credentials. */
  String authorization() {
    if (!apiKey.isEmpty()) {
      return "ApiKey " + apiKey;
    }
    if (!username.isBlank()) {
      return "Basic "
          + Base64.getEncoder()
              .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
    return null;
  }

  /** A TLS context trusting only {@link #caFile}, or null to trust the JVM's CAs. */
  public SSLContext sslContext() {
    if (caFile.isEmpty()) {
      return null;
    }
    try {
      return TrustedCertificates.ofPem(Path.of(caFile));
    } catch (Exception e) {
      throw new ConfigException(
          Setting.ELASTICSEARCH_CA_FILE.key() + ": cannot read " + caFile + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return url
        + (apiKey.isEmpty() ? "" : " (API key)")
        + (username.isBlank() ? "" : " (user " + username + ")");
  }
}
