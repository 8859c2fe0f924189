package dev.channelanalytics.calculator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live dashboards' server-sent event streams, so that no dashboard can hold back the report
 * jobs: {@link #broadcast} only puts an event in each stream's bounded buffer and never writes;
 * each stream is written by a thread of its own (at most {@link #max} streams, so at most that many
 * threads); a dashboard that stops reading fills its buffer and is dropped, and one that cannot
 * connect because all streams are taken is told so with a 503. A keep-alive comment every {@link
 * #KEEP_ALIVE} finds connections that went away silently.
 *
 * <p>A dropped dashboard's thread may still be blocked writing to a peer that reads nothing; the
 * JDK server frees it when the response time limit ({@link #MAX_RESPONSE_SECONDS}) closes the
 * connection, which every stream reaches in the end: the browser then reconnects (the stream asks
 * for a retry after a second).
 */
final class EventStreams implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventStreams.class);

  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  /**
   * The JDK HTTP server's limit on one response ({@code sun.net.httpserver.maxRspTime}), set before
   * the first server of this JVM unless set on the command line.
   */
  static final long MAX_RESPONSE_SECONDS = 600;

  static {
    if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
      System.setProperty("sun.net.httpserver.maxRspTime", Long.toString(MAX_RESPONSE_SECONDS));
    }
  }

  private static final byte[] KEEP_ALIVE_COMMENT =
      ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] WAKE_UP = new byte[0];

  /** One connected dashboard. */
  private static final class Stream {
    final HttpExchange exchange;
    final BlockingQueue<byte[]> buffer;
    volatile boolean dropped;

    Stream(HttpExchange exchange, int buffered) {
      this.exchange = exchange;
      this.buffer = new ArrayBlockingQueue<>(buffered);
    }
  }

  private final int max;
  private final int buffered;
  private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final ExecutorService writers;
  private volatile boolean closed;

  /**
   * @param max streams open at once
   * @param buffered events a stream may be behind before it is dropped
   */
  EventStreams(int max, int buffered) {
    this.max = max;
    this.buffered = buffered;
    AtomicInteger n = new AtomicInteger();
    this.writers =
        Executors.newFixedThreadPool(
            max,
            r -> {
              Thread t = new Thread(r, "event-stream-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Takes {@code exchange} as a new stream, written from then on by a thread of its own; false when
   * {@link #max} streams are open (the caller answers 503).
   */
  boolean open(HttpExchange exchange) {
    if (closed || open.incrementAndGet() > max) {
      open.decrementAndGet();
      return false;
    }
    Stream s = new Stream(exchange, buffered);
    streams.add(s);
    writers.execute(() -> write(s));
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
   * Queues {@code event} on every stream; never blocks. A stream whose buffer is full is dropped.
   */
  void broadcast(byte[] event) {
    for (Stream s : streams) {
      if (!s.buffer.offer(event)) {
        drop(s, "stopped reading (" + buffered + " events behind)");
      }
    }
  }

  private void drop(Stream s, String why) {
    if (streams.remove(s)) {
      s.dropped = true;
      LOG.warn("Dropping the live dashboard at {}: it {}", s.exchange.getRemoteAddress(), why);
      s.buffer.clear();
      s.buffer.offer(WAKE_UP);
    }
  }

  private void write(Stream s) {
    try {
      s.exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      s.exchange.getResponseHeaders().set("Cache-Control", "no-cache");
      s.exchange.sendResponseHeaders(200, 0);
      OutputStream out = s.exchange.getResponseBody();
      // Reconnect a second after the stream ends (a restart, or the response time limit).
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
      // the dashboard went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      streams.remove(s);
      open.decrementAndGet();
      s.exchange.close();
    }
  }

  @Override
  public void close() {
    closed = true;
    streams.forEach(s -> drop(s, "is closed with the service"));
    writers.shutdownNow();
  }
}
