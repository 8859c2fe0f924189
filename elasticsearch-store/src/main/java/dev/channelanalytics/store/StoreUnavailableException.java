package dev.channelanalytics.store;

/** Elasticsearch did not answer within a {@link RetryPolicy}'s patience. */
public final class StoreUnavailableException extends IllegalStateException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
