package dev.channelanalytics.testing;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;

/**
 * Gives a test class one embedded service of type {@code T} per test run: started on first use,
 * stopped when JUnit closes its root context at the end of the run. The base of {@link
 * KafkaExtension} and {@link ElasticsearchExtension}.
 */
abstract class EmbeddedServicesExtension<T extends AutoCloseable> implements BeforeAllCallback {
  private static final Namespace NAMESPACE = Namespace.create(EmbeddedServicesExtension.class);

  private final Class<T> type;
  private final Supplier<T> starter;
  private T service;

  EmbeddedServicesExtension(Class<T> type, Supplier<T> starter) {
    this.type = type;
    this.starter = starter;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Resource<?> resource =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(type, k -> new Resource<>(starter.get()), Resource.class);
    service = type.cast(resource.service());
  }

  /** The shared service; fails when the extension was not registered as a static field. */
  T service() {
    if (service == null) {
      throw new IllegalStateException(
          "register " + getClass().getSimpleName() + " as a static field");
    }
    return service;
  }

  /** Wraps a service so that JUnit closes it with the root context. */
  private record Resource<T extends AutoCloseable>(T service)
      implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() throws Exception {
      service.close();
    }
  }
}
