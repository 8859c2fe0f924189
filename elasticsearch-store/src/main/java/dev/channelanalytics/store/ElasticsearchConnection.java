package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.json.JsonData;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
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
  private final java.util.Set<String> autoCreateRefused =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private ElasticsearchConnection(ElasticsearchEndpoint endpoint, RetryPolicy retry) {
    this.url = endpoint.url();
    this.retry = retry;
    org.elasticsearch.client.RestClientBuilder builder =
        RestClient.builder(HttpHost.create(url.toString()))
            .setRequestConfigCallback(r -> r.setConnectTimeout(5_000).setSocketTimeout(60_000));
    String authorization = endpoint.authorization();
    if (authorization != null) {
      builder.setDefaultHeaders(
          new org.apache.http.Header[] {
            new org.apache.http.message.BasicHeader("Authorization", authorization)
          });
    }
    javax.net.ssl.SSLContext ssl = endpoint.sslContext();
    if (ssl != null) {
      builder.setHttpClientConfigCallback(http -> http.setSSLContext(ssl));
    }
    RestClient rest = builder.build();
    this.transport = new RestClientTransport(rest, new JacksonJsonpMapper(JSON));
    this.client = new ElasticsearchClient(transport);
  }

  /** A connection to {@code url}, without credentials, whose calls retry by {@code retry}. */
  public static ElasticsearchConnection open(URI url, RetryPolicy retry) {
    return new ElasticsearchConnection(ElasticsearchEndpoint.of(url), retry);
  }

  /**
   * A connection to {@code endpoint}, with its credentials and CA, whose calls retry by {@code
   * retry}.
   */
  public static ElasticsearchConnection open(ElasticsearchEndpoint endpoint, RetryPolicy retry) {
    return new ElasticsearchConnection(endpoint, retry);
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

  /**
   * A search answer that holds every shard's part, in time: a partial one (a shard failed, the
   * search timed out) would be taken for the truth and stored as report rows, so it is refused with
   * {@link PartialAnswer}, which the retry policy treats like an unreachable cluster.
   */
  public static <R extends co.elastic.clients.elasticsearch.core.SearchResponse<?>> R complete(
      String what, R r) throws PartialAnswer {
    int failed = r.shards() == null ? 0 : r.shards().failed().intValue();
    if (r.timedOut() || failed > 0) {
      throw new PartialAnswer(
          what
              + (r.timedOut() ? " timed out" : "")
              + (failed > 0
                  ? " failed on " + failed + " of " + r.shards().total() + " shards"
                  : ""));
    }
    return r;
  }

  /** A search answer that is not whole; retried, never used. */
  public static final class PartialAnswer extends IOException {
    private static final long serialVersionUID = 1L;

    public PartialAnswer(String message) {
      super(message);
    }
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

  /**
   * Stops Elasticsearch from creating indices matching {@code pattern} (for example {@code
   * first-seen-*}) by itself: a write to one that was deleted would otherwise create it with
   * dynamic mappings and without its alias, unseen by every reader. The cluster's {@code
   * action.auto_create_index} keeps whatever else it says; the pattern is put first. Writers then
   * get {@code index_not_found_exception} and create the index properly ({@link #indexGone}).
   */
  public void refuseAutoCreate(String pattern) {
    if (!autoCreateRefused.add(pattern)) {
      return;
    }
    String key = "action.auto_create_index";
    call(
        "keep " + pattern + " from being created by writes",
        c -> {
          var settings = c.cluster().getSettings(g -> g.flatSettings(true).includeDefaults(true));
          JsonData current = settings.persistent().get(key);
          if (current == null) {
            current = settings.transient_().get(key);
          }
          if (current == null) {
            current = settings.defaults().get(key);
          }
          String value = current == null ? "true" : current.to(String.class);
          String refusal = "-" + pattern;
          if (value.equals("false") || List.of(value.split(",")).contains(refusal)) {
            return null;
          }
          String merged = refusal + "," + (value.equals("true") ? "+*" : value);
          c.cluster().putSettings(p -> p.persistent(key, JsonData.of(merged)));
          return null;
        });
  }

  /** True when a bulk item failed because its index does not exist (it was deleted). */
  public static boolean indexGone(BulkResponseItem item) {
    return item.error() != null && "index_not_found_exception".equals(item.error().type());
  }

  /**
   * Runs a bulk of plain (unversioned) operations; when an item finds its index gone, runs {@code
   * recreate} and the whole bulk again, which such operations allow. Items that still fail are left
   * in the response for the caller.
   */
  public BulkResponse bulkRecreating(String what, List<BulkOperation> ops, Runnable recreate) {
    BulkResponse r = call(what, c -> c.bulk(b -> b.operations(ops)));
    if (r.errors() && r.items().stream().anyMatch(ElasticsearchConnection::indexGone)) {
      recreate.run();
      r = call(what, c -> c.bulk(b -> b.operations(ops)));
    }
    return r;
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
