package dev.channelanalytics.testing;

import java.net.URI;

/**
 * Gives a test class a real Elasticsearch, started once per test run.
 *
 * <pre>
 * {@code @RegisterExtension static final ElasticsearchExtension ES = new ElasticsearchExtension();}
 * </pre>
 */
public final class ElasticsearchExtension extends EmbeddedServicesExtension<EmbeddedElasticsearch> {
  public ElasticsearchExtension() {
    super(EmbeddedElasticsearch.class, EmbeddedElasticsearch::start);
  }

  public EmbeddedElasticsearch elasticsearch() {
    return service();
  }

  public URI url() {
    return elasticsearch().url();
  }
}
