package dev.channelanalytics.testing;

import dev.channelanalytics.local.Distributions;
import dev.channelanalytics.local.ElasticsearchNode;
import dev.channelanalytics.local.ManagedProcess;
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
  private final ManagedProcess process;
  private final Path dir;

  private EmbeddedElasticsearch(URI url, ManagedProcess process, Path dir) {
    this.url = url;
    this.process = process;
    this.dir = dir;
  }

  public static EmbeddedElasticsearch start() {
    String external = System.getProperty(EXTERNAL_PROPERTY);
    if (external != null && !external.isBlank()) {
      return new EmbeddedElasticsearch(URI.create(external), null, null);
    }
    try {
      Path dir = Files.createTempDirectory("channel-es-");
      // The unprivileged user Elasticsearch runs as under root must be able to enter it.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      ElasticsearchNode node =
          new ElasticsearchNode(
              new ElasticsearchNode.Settings(
                  FreePorts.next(), FreePorts.next(), "512m", dir, "nobody"),
              Distributions.ofThisBuild());
      node.prepare();
      ManagedProcess process = node.start(false);
      EmbeddedElasticsearch es = new EmbeddedElasticsearch(node.url(), process, dir);
      // Stops the child even when the test JVM exits without closing it.
      Runtime.getRuntime().addShutdownHook(new Thread(es::close, "stop-es"));
      try {
        node.awaitHealthy(Duration.ofMinutes(3));
      } catch (RuntimeException e) {
        es.close();
        throw new IllegalStateException(
            "Elasticsearch did not start; log: " + TempDirs.tail(node.logFile(), 40), e);
      }
      return es;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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
  public synchronized void close() {
    if (process != null && process.alive()) {
      process.stop(Duration.ofSeconds(30));
    }
    TempDirs.deleteQuietly(dir);
  }
}
