package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.store.ElasticsearchConnection;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live dashboards' server-sent event streams, so that no dashboard can hold back the report
 * jobs: {@link #broadcast} only puts an event in each stream's bounded buffer and never writes;
 * each stream is written by the request thread that opened it (at most {@link #max} streams, so at
 * most that many threads); a dashboard that stops reading fills its buffer and is dropped, and one
 * that cannot connect because all streams are taken is told so with a 503. A keep-alive comment
 * every {@link #KEEP_ALIVE} finds connections that went away silently.
 *
 * <p>A dropped dashboard's thread may still be blocked writing to a peer that reads nothing; the
 * server's idle timeout fails that write and frees the thread; the browser then reconnects (the
 * stream asks for a retry after a second). Each stream sees only the products its caller may see.
 */
final class EventStreams implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private static final byte[] KEEP_ALIVE_COMMENT =
      ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] WAKE_UP = new byte[0];

  /** The connection a stream is written to. */
  interface Peer {
    /** Sends the status and headers of an event stream; the body to write events to. */
    OutputStream start() throws IOException;

    /** Where the peer connects from, for the log. */
    String address();
  }

  /** One connected dashboard. */
  private static final class Stream {
    final Peer peer;
    final Predicate<String> sees;
    final BlockingQueue<byte[]> buffer;
    volatile boolean dropped;

    Stream(Peer peer, Predicate<String> sees, int buffered) {
      this.peer = peer;
      this.sees = sees;
      this.buffer = new ArrayBlockingQueue<>(buffered);
    }
  }

  private final int max;
  private final int buffered;
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param max streams open at once
   * @param buffered events a stream may be behind before it is dropped
   */
  EventStreams(int max, int buffered) {
    this.max = max;
    this.buffered = buffered;
  }

  /**
   * Serves {@code peer} as a new stream of the products {@code sees} accepts, writing it from the
   * calling thread until it ends; false at once, with nothing written, when {@link #max} streams
   * are open (the caller answers 503).
   */
  boolean serve(Peer peer, Predicate<String> sees) {
    if (closed || open.incrementAndGet() > max) {
      open.decrementAndGet();
      return false;
    }
    Stream s = new Stream(peer, sees, buffered);
    streams.add(s);
    write(s);
    return true;
  }

  /** Streams taking events now (a dropped one is not, even while its thread still ends). */
  int size() {
    return streams.size();
  }

  /** Threads writing streams now: taken streams, and dropped ones whose last write is stuck. */
  int threads() {
    return open.get();
  }

  /**
   * Queues a {@code reports} event naming the changed {@code products} on every stream, each stream
   * told only of the products it may see; never blocks. A stream whose buffer is full is dropped.
   */
  void broadcast(Set<String> products) {
    for (Stream s : streams) {
      List<String> seen = products.stream().filter(s.sees).sorted().toList();
      if (seen.isEmpty()) {
        continue;
      }
      ObjectNode data = ElasticsearchConnection.JSON.createObjectNode();
      ArrayNode list = data.putArray("products");
      seen.forEach(list::add);
      byte[] event = ("event: reports\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
      if (!s.buffer.offer(event)) {
        drop(s, "stopped reading (" + buffered + " events behind)");
      }
    }
  }

  private void drop(Stream s, String why) {
    if (streams.remove(s)) {
      s.dropped = true;
      LOG.warn("Dropping the live dashboard at {}: it {}", s.peer.address(), why);
      s.buffer.clear();
      s.buffer.offer(WAKE_UP);
    }
  }

  private void write(Stream s) {
    try {
      OutputStream out = s.peer.start();
      // Reconnect a second after the stream ends (a restart of the service).
      out.write(": connected\nretry: 1000\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (!s.dropped && !closed) {
        byte[] event = s.buffer.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
        if (s.dropped || closed) {
          break;
        }
        out.write(event == null ? KEEP_ALIVE_COMMENT : event);
        out.flush();
      }
    } catch (IOException e) {
      // the dashboard went away, or a write to a dropped one timed out
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      streams.remove(s);
      open.decrementAndGet();
    }
  }

  @Override
  public void close() {
    closed = true;
    streams.forEach(s -> drop(s, "is closed with the service"));
  }
}
