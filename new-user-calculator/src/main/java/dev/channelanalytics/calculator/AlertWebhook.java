package dev.channelanalytics.calculator;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.channelanalytics.store.ElasticsearchConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers channel alerts to the webhook ({@code calculator.alert-webhook-url}) on a thread of its
 * own, so a slow or failing receiver never holds back the reports or the API. The queue is the
 * stored alerts themselves ({@link AlertStore#pending}): an alert is {@code pending} until the
 * webhook answers 2xx, a failed delivery (no answer, a non-2xx status) is tried again after a
 * back-off that doubles from {@link #FIRST_RETRY} up to {@link #LONGEST_RETRY}, and a restart
 * resumes with whatever is still pending; nothing is dropped. Delivery is at least once: an alert
 * the receiver accepted is sent again if marking it delivered failed, so receivers deduplicate by
 * its {@code id}. Logs name the webhook by its scheme, host and port only, since its path or query
 * may hold a token.
 */
final class AlertWebhook implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertWebhook.class);

  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration LONGEST_RETRY = Duration.ofMinutes(10);
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** The longest the thread waits without looking for due alerts (woken earlier by new ones). */
  static final Duration IDLE = Duration.ofMinutes(1);

  /** Alerts read per look. */
  static final int BATCH = 100;

  private final AlertStore store;
  private final URI url;
  private final String shown;
  private final HttpClient http;
  private final Thread thread;
  private final Object signal = new Object();
  private boolean woken;
  private volatile boolean closed;

  AlertWebhook(AlertStore store, URI url) {
    this.store = store;
    this.url = url;
    this.shown = shown(url);
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    this.thread = new Thread(this::run, "alert-webhook");
    thread.setDaemon(true);
    thread.start();
    LOG.info("Channel alerts go to the webhook at {}", shown);
  }

  /** The webhook as logs name it: scheme, host and port, never its path, query or user. */
  static String shown(URI url) {
    return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
  }

  /** Looks for due alerts now (new alerts were stored); never blocks. */
  void wake() {
    synchronized (signal) {
      woken = true;
      signal.notifyAll();
    }
  }

  private void run() {
    while (!closed) {
      long waitMillis;
      try {
        waitMillis = deliverDue();
      } catch (RuntimeException e) {
        LOG.warn("Cannot read or update the channel alerts to deliver: {}", e.toString());
        waitMillis = FIRST_RETRY.multipliedBy(10).toMillis();
      }
      synchronized (signal) {
        try {
          if (!woken && !closed && waitMillis > 0) {
            signal.wait(waitMillis);
          }
        } catch (InterruptedException e) {
          return; // closed
        }
        woken = false;
      }
    }
  }

  /** Sends every due alert; returns how long until the next one is due. */
  private long deliverDue() {
    List<ChannelAlert> pending = store.pending(BATCH);
    long next = pending.size() == BATCH ? 0 : IDLE.toMillis();
    for (ChannelAlert a : pending) {
      if (closed) {
        return 0;
      }
      long now = System.currentTimeMillis();
      if (a.nextAttemptAt() > now) {
        return Math.min(next, a.nextAttemptAt() - now);
      }
      Duration retry = send(a);
      if (retry != null) {
        next = Math.min(next, retry.toMillis());
      }
    }
    return next;
  }

  /** Sends one alert; the back-off before it is tried again, or null once it is delivered. */
  private Duration send(ChannelAlert alert) {
    String error;
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(url)
                  .timeout(TIMEOUT)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(json(alert)))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() / 100 == 2) {
        store.update(alert.delivered(System.currentTimeMillis()));
        LOG.info(
            "Alert {} ({} of {} in {}) delivered to the webhook",
            alert.id(),
            alert.kind(),
            alert.channel(),
            alert.product());
        return null;
      }
      error = "the webhook answered " + r.statusCode();
    } catch (IOException e) {
      String message = e.getMessage() == null ? "" : ": " + e.getMessage();
      error = e.getClass().getSimpleName() + message.replace(url.toString(), shown);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Duration.ZERO; // closing; the alert stays pending for the next start
    }
    Duration retry = backoff(alert.attempts() + 1);
    store.update(alert.failed(error, System.currentTimeMillis() + retry.toMillis()));
    LOG.warn(
        "Alert {} not delivered to the webhook at {} ({}; attempt {}); trying again in {} s",
        alert.id(),
        shown,
        error,
        alert.attempts() + 1,
        retry.toSeconds());
    return retry;
  }

  /** The pause after the {@code attempt}th failed try: doubling, at most {@link #LONGEST_RETRY}. */
  static Duration backoff(int attempt) {
    int doublings = Math.min(Math.max(attempt - 1, 0), 20);
    Duration d = FIRST_RETRY.multipliedBy(1L << doublings);
    return d.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : d;
  }

  private static String json(ChannelAlert alert) {
    try {
      return ElasticsearchConnection.JSON.writeValueAsString(alert.body());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    wake();
    thread.interrupt();
    thread.join(TIMEOUT.toMillis());
  }
}
