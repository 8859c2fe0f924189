package dev.channelanalytics.testing;

import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.ElasticsearchNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * A real Elasticsearch for tests: a child process of the same distribution the local stack runs, on
 * free ports with state in a temp directory, or an outside cluster named by the system property
 * {@value #EXTERNAL_PROPERTY}.
 */
public final class EmbeddedElasticsearch implements AutoCloseable {
  public static final String EXTERNAL_PROPERTY = "channel.test.elasticsearch.url";

  private final URI url;

  /** The node child, or null for an outside cluster. */
  private final EmbeddedServer server;

  /** HTTPS and the user, or null for plain HTTP without users. */
  private final ElasticsearchNode.Security security;

  private EmbeddedElasticsearch(URI url, EmbeddedServer server) {
    this(url, server, null);
  }

  private EmbeddedElasticsearch(
      URI url, EmbeddedServer server, ElasticsearchNode.Security security) {
    this.url = url;
    this.server = server;
    this.security = security;
  }

  /**
   * A node of the test's own as in production: Elasticsearch's own security on, HTTPS with {@code
   * certificates}' server certificate, and one superuser with a random password (stored bcrypt in
   * the file realm).
   */
  public static EmbeddedElasticsearch startSecured(TestCertificates certificates) {
    Path dir = EmbeddedServer.newStateDir("channel-es-secured-");
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String password = "es-" + java.util.UUID.randomUUID();
    byte[] salt = new byte[16];
    new java.security.SecureRandom().nextBytes(salt);
    ElasticsearchNode.Security security =
        new ElasticsearchNode.Security(
            certificates.serverCertPem(),
            certificates.serverKeyPem(),
            certificates.caPem(),
            "pipeline",
            password,
            org.bouncycastle.crypto.generators.OpenBSDBCrypt.generate(
                "2a", password.toCharArray(), salt, 10));
    ElasticsearchNode node =
        new ElasticsearchNode(
            new ElasticsearchNode.Settings(
                FreePorts.next(), FreePorts.next(), "512m", dir, "nobody", security),
            Distributions.ofThisBuild());
    return new EmbeddedElasticsearch(
        node.url(),
        EmbeddedServer.start(
            "Elasticsearch (secured)", node, dir, Duration.ofMinutes(3), Duration.ofSeconds(30)),
        security);
  }

  /** {@code config} pointed at this node: its URL and, when secured, its user, password and CA. */
  public dev.channelanalytics.common.config.ChannelConfig configure(
      dev.channelanalytics.common.config.ChannelConfig config) {
    var c =
        config.with(dev.channelanalytics.common.config.Setting.ELASTICSEARCH_URL, url.toString());
    if (security == null) {
      return c;
    }
    return c.with(
            dev.channelanalytics.common.config.Setting.ELASTICSEARCH_USERNAME, security.username())
        .with(
            dev.channelanalytics.common.config.Setting.ELASTICSEARCH_PASSWORD, security.password())
        .with(
            dev.channelanalytics.common.config.Setting.ELASTICSEARCH_CA_FILE,
            security.caPem().toString());
  }

  public static EmbeddedElasticsearch start() {
    var outside = EmbeddedServer.outside(EXTERNAL_PROPERTY);
    if (outside.isPresent()) {
      return new EmbeddedElasticsearch(URI.create(outside.get()), null);
    }
    Path dir = EmbeddedServer.newStateDir("channel-es-");
    try {
      // The unprivileged user Elasticsearch runs as under root must be able to enter it.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ElasticsearchNode node =
        new ElasticsearchNode(
            new ElasticsearchNode.Settings(
                FreePorts.next(), FreePorts.next(), "512m", dir, "nobody"),
            Distributions.ofThisBuild());
    return new EmbeddedElasticsearch(
        node.url(),
        EmbeddedServer.start(
            "Elasticsearch", node, dir, Duration.ofMinutes(3), Duration.ofSeconds(30)));
  }

  /** The HTTP endpoint, e.g. {@code http://localhost:41234}. */
  public URI url() {
    return url;
  }

  public int port() {
    return url.getPort();
  }

  /** Stops the node and deletes its state; safe to call twice; a no-op for an outside cluster. */
  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
