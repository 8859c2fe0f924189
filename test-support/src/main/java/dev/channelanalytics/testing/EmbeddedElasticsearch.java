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

  private EmbeddedElasticsearch(URI url, EmbeddedServer server) {
    this.url = url;
    this.server = server;
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
