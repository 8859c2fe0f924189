package dev.channelanalytics.testing;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;

/**
 * Keeps one instance of each embedded service per test run: started on first use, stopped when
 * JUnit closes its root context at the end of the run.
 */
final class EmbeddedServicesExtension {
  private static final Namespace NAMESPACE = Namespace.create(EmbeddedServicesExtension.class);

  private EmbeddedServicesExtension() {}

  static <T extends AutoCloseable> T shared(
      ExtensionContext context, Class<T> type, Supplier<T> starter) {
    Resource<?> resource =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(type, k -> new Resource<>(starter.get()), Resource.class);
    return type.cast(resource.service());
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
