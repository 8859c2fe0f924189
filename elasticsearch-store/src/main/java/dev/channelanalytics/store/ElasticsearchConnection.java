package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import org.apache.http.HttpHost;
import org.elasticsearch.client.RestClient;

/**
 * The one way this project talks to Elasticsearch: the official {@code elasticsearch-java} client
 * (which never calls {@code GET /}, so it works against the minimal distribution) with a {@link
 * RetryPolicy} around every call.
 *
 * <p>Thread-safe; open one per JVM and endpoint and share it.
 */
public final class ElasticsearchConnection implements AutoCloseable {
  /** The JSON mapper of every document this project stores. */
  public static final ObjectMapper JSON = new ObjectMapper();

  private final URI url;
  private final RetryPolicy retry;
  private final RestClientTransport transport;
  private final ElasticsearchClient client;

  private ElasticsearchConnection(URI url, RetryPolicy retry) {
    this.url = url;
    this.retry = retry;
    RestClient rest =
        RestClient.builder(HttpHost.create(url.toString()))
            .setRequestConfigCallback(r -> r.setConnectTimeout(5_000).setSocketTimeout(60_000))
            .build();
    this.transport = new RestClientTransport(rest, new JacksonJsonpMapper(JSON));
    this.client = new ElasticsearchClient(transport);
  }

  /** A connection to {@code url} whose calls retry by {@code retry}. */
  public static ElasticsearchConnection open(URI url, RetryPolicy retry) {
    return new ElasticsearchConnection(url, retry);
  }

  public URI url() {
    return url;
  }

  public RetryPolicy retry() {
    return retry;
  }

  /** The typed client, for calls made through {@link #call}. */
  public ElasticsearchClient client() {
    return client;
  }

  /** Runs one request with the connection's retry policy; {@code what} names it in logs. */
  public <T> T call(String what, ClientCall<T> call) {
    return retry.run(what, () -> call.run(client));
  }

  /** One request on the typed client. */
  @FunctionalInterface
  public interface ClientCall<T> {
    T run(ElasticsearchClient client) throws IOException;
  }

  /**
   * Creates an index from a JSON body (settings, mappings, aliases) unless it exists; true when
   * this call created it.
   */
  public boolean createIndexIfAbsent(String index, String body) {
    return call(
        "create index " + index,
        c -> {
          try {
            c.indices().create(r -> r.index(index).withJson(new StringReader(body)));
            return true;
          } catch (ElasticsearchException e) {
            if ("resource_already_exists_exception".equals(e.error().type())) {
              return false;
            }
            throw e;
          }
        });
  }

  /** Makes what was written to {@code index} (a name, alias or pattern) visible to searches. */
  public void refresh(String index) {
    call(
        "refresh " + index,
        c -> c.indices().refresh(r -> r.index(index).ignoreUnavailable(true).allowNoIndices(true)));
  }

  /** True when {@code index} (a name or alias) exists. */
  public boolean exists(String index) {
    return call("exists " + index, c -> c.indices().exists(r -> r.index(index)).value());
  }

  @Override
  public void close() {
    try {
      transport.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
