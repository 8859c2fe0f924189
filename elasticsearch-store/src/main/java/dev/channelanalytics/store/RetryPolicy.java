package dev.channelanalytics.store;

import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.transport.TransportException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a caller keeps retrying what Elasticsearch may answer later: an unreachable node, 429
 * (back pressure) and 5xx. The sharder retries for ever (a micro-batch simply waits, and nothing is
 * committed before Elasticsearch acknowledged it); the calculator gives up after a while, so one
 * report run fails and the next one catches up. Any other refusal (a 4xx but 429) is a bug or a bad
 * configuration and fails at once.
 *
 * @param patience how long to keep trying one call; {@code null} for ever
 * @param maxBackoff the longest pause between two tries (back-off doubles from 100 ms)
 */
public record RetryPolicy(Duration patience, Duration maxBackoff) {
  private static final Logger LOG = LoggerFactory.getLogger(RetryPolicy.class);

  /** Every retry of this JVM, whatever its policy: for the JVM's metrics. */
  private static final LongAdder RETRIES = new LongAdder();

  /** Every call of this JVM given up when its patience was spent: for the JVM's metrics. */
  private static final LongAdder GIVEN_UP = new LongAdder();

  /**
   * How often this JVM has waited to try Elasticsearch again (unreachable, 429, 5xx, an item pushed
   * back), since it started; exported as {@code channel_elasticsearch_retries_total}.
   */
  public static long retries() {
    return RETRIES.sum();
  }

  /**
   * Exports {@link #retries()} and {@link #givenUp()} as {@code
   * channel_elasticsearch_retries_total} and {@code channel_elasticsearch_failures_total} to {@code
   * registry}.
   */
  public static void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("channel.elasticsearch.retries", RETRIES, LongAdder::sum)
        .description("waits before trying Elasticsearch again (unreachable, 429, 5xx)")
        .register(registry);
    FunctionCounter.builder("channel.elasticsearch.failures", GIVEN_UP, LongAdder::sum)
        .description("Elasticsearch calls given up after their patience")
        .register(registry);
  }

  /**
   * How many calls of this JVM ran out of patience (each failed its caller); exported as {@code
   * channel_elasticsearch_failures_total}.
   */
  public static long givenUp() {
    return GIVEN_UP.sum();
  }

  /** Retries for as long as it takes, with pauses up to 15 s. */
  public static RetryPolicy forever() {
    return new RetryPolicy(null, Duration.ofSeconds(15));
  }

  /** Gives up once {@code patience} has passed, with pauses up to 5 s. */
  public static RetryPolicy upTo(Duration patience) {
    return new RetryPolicy(patience, Duration.ofSeconds(5));
  }

  /** One call to Elasticsearch. */
  @FunctionalInterface
  public interface Call<T> {
    T run() throws IOException;
  }

  /** The back-off of one retried call or loop: pauses that double up to the policy's maximum. */
  public final class Backoff {
    private final long deadline =
        patience == null ? Long.MAX_VALUE : System.nanoTime() + patience.toNanos();
    private long millis = 100;

    /**
     * Waits before the next try.
     *
     * @throws StoreUnavailableException when the policy's patience is spent
     */
    public void pause(String what, Exception cause) {
      if (System.nanoTime() > deadline) {
        GIVEN_UP.increment();
        throw new StoreUnavailableException(
            "Elasticsearch did not answer " + what + " within " + patience, cause);
      }
      RETRIES.increment();
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Elasticsearch", e);
      }
      millis = Math.min(millis * 2, maxBackoff.toMillis());
    }
  }

  public Backoff backoff() {
    return new Backoff();
  }

  /** Runs {@code call}, retrying what may succeed later; {@code what} names it in logs. */
  public <T> T run(String what, Call<T> call) {
    Backoff backoff = backoff();
    while (true) {
      try {
        return call.run();
      } catch (ElasticsearchException e) {
        if (!retriable(e.status())) {
          throw new IllegalStateException(what + " refused: " + firstLine(e.getMessage()), e);
        }
        LOG.warn("{} answered {}; retrying", what, e.status());
        backoff.pause(what, e);
      } catch (TransportException e) {
        if (e.statusCode() != 0 && !retriable(e.statusCode())) {
          throw new IllegalStateException(what + " failed: " + firstLine(e.getMessage()), e);
        }
        LOG.warn("{} failed ({}); retrying", what, firstLine(e.getMessage()));
        backoff.pause(what, e);
      } catch (IOException e) {
        LOG.warn("Elasticsearch unreachable for {} ({}); retrying", what, e.toString());
        backoff.pause(what, e);
      }
    }
  }

  /** True for statuses a later try may turn into a success: 429 and 5xx. */
  public static boolean retriable(int status) {
    return status == 429 || status >= 500;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 500 ? line.substring(0, 500) + "..." : line;
  }
}
