package dev.channelanalytics.testing;

import java.net.URI;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class a real Elasticsearch, started once per test run.
 *
 * <pre>
 * {@code @RegisterExtension static final ElasticsearchExtension ES = new ElasticsearchExtension();}
 * </pre>
 */
public final class ElasticsearchExtension implements BeforeAllCallback {
  private EmbeddedElasticsearch elasticsearch;

  @Override
  public void beforeAll(ExtensionContext context) {
    elasticsearch =
        EmbeddedServicesExtension.shared(
            context, EmbeddedElasticsearch.class, EmbeddedElasticsearch::start);
  }

  public EmbeddedElasticsearch elasticsearch() {
    if (elasticsearch == null) {
      throw new IllegalStateException("register ElasticsearchExtension as a static field");
    }
    return elasticsearch;
  }

  public URI url() {
    return elasticsearch().url();
  }
}
