package dev.channelanalytics.calculator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.store.BoundedNames;
import dev.channelanalytics.store.ElasticsearchConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One channel anomaly alert and where its delivery to the webhook stands. Its id names the product,
 * channel, window and kind, so the same anomaly found again (the next evaluation, a recompute, a
 * restart) is the same alert.
 *
 * @param product the product
 * @param channel the channel
 * @param window {@code hour} or {@code 10m}
 * @param from the window's start, epoch ms
 * @param to the window's end, epoch ms
 * @param kind {@code spike}, {@code drop}, {@code new} or {@code silent}
 * @param newUsers the channel's new users in the window
 * @param baseline the channel's new users in the same window on each of the days before, oldest
 *     first
 * @param median the median of the baseline's days with history
 * @param low the fewest users the band allowed
 * @param high the most users the band allowed
 * @param detectedAt when it was found, epoch ms
 * @param delivery {@code pending} (to be sent to the webhook), {@code delivered}, or {@code off}
 *     (no webhook was configured when it was found)
 * @param attempts deliveries tried
 * @param lastError why the last delivery failed; empty when none did
 * @param nextAttemptAt when a pending alert is sent next, epoch ms
 * @param deliveredAt when the webhook accepted it, epoch ms; 0 while it has not
 */
record ChannelAlert(
    String product,
    String channel,
    String window,
    long from,
    long to,
    String kind,
    long newUsers,
    List<Long> baseline,
    double median,
    double low,
    double high,
    long detectedAt,
    String delivery,
    int attempts,
    String lastError,
    long nextAttemptAt,
    long deliveredAt) {
  static final String PENDING = "pending";
  static final String DELIVERED = "delivered";
  static final String OFF = "off";

  /** Index mapping of the stored alerts. */
  // Replicas as the cluster says: its default, or the index template of
  // deploy/production/elasticsearch (one replica).
  static final String MAPPING =
      "{\"settings\":{\"number_of_shards\":1},"
          + "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
          + "\"id\":{\"type\":\"keyword\"},"
          + "\"product\":{\"type\":\"keyword\"},"
          + "\"channel\":{\"type\":\"keyword\"},"
          + "\"window\":{\"type\":\"keyword\"},"
          + "\"from\":{\"type\":\"date\",\"format\":\"strict_date_optional_time\"},"
          + "\"to\":{\"type\":\"date\",\"format\":\"strict_date_optional_time\"},"
          + "\"kind\":{\"type\":\"keyword\"},"
          + "\"new_users\":{\"type\":\"long\"},"
          + "\"baseline\":{\"type\":\"long\"},"
          + "\"baseline_median\":{\"type\":\"double\"},"
          + "\"expected_low\":{\"type\":\"double\"},"
          + "\"expected_high\":{\"type\":\"double\"},"
          + "\"detected_at\":{\"type\":\"date\",\"format\":\"strict_date_optional_time\"},"
          + "\"delivery\":{\"type\":\"keyword\"},"
          + "\"attempts\":{\"type\":\"integer\"},"
          + "\"last_error\":{\"type\":\"keyword\",\"ignore_above\":1024},"
          + "\"next_attempt_at\":{\"type\":\"date\",\"format\":\"epoch_millis\"},"
          + "\"delivered_at\":{\"type\":\"date\",\"format\":\"strict_date_optional_time\"}}}}";

  /** The same alert whatever finds it: product, channel, window, its start and the kind. */
  String id() {
    return BoundedNames.id(product, channel, window, Long.toString(from), kind);
  }

  /** What the webhook receives: the alert without its delivery state. */
  ObjectNode body() {
    ObjectNode o =
        ElasticsearchConnection.JSON
            .createObjectNode()
            .put("id", id())
            .put("product", product)
            .put("channel", channel)
            .put("window", window)
            .put("from", Instant.ofEpochMilli(from).toString())
            .put("to", Instant.ofEpochMilli(to).toString())
            .put("kind", kind)
            .put("new_users", newUsers);
    ArrayNode days = o.putArray("baseline");
    baseline.forEach(days::add);
    return o.put("baseline_median", median)
        .put("expected_low", low)
        .put("expected_high", high)
        .put("detected_at", Instant.ofEpochMilli(detectedAt).toString());
  }

  /** The stored document, and the API's answer: the body with the delivery state. */
  ObjectNode document() {
    ObjectNode o =
        body()
            .put("delivery", delivery)
            .put("attempts", attempts)
            .put("last_error", lastError)
            .put("next_attempt_at", nextAttemptAt);
    if (deliveredAt > 0) {
      o.put("delivered_at", Instant.ofEpochMilli(deliveredAt).toString());
    }
    return o;
  }

  static ChannelAlert of(JsonNode d) {
    List<Long> baseline = new ArrayList<>();
    d.path("baseline").forEach(v -> baseline.add(v.asLong()));
    return new ChannelAlert(
        d.path("product").asText(),
        d.path("channel").asText(),
        d.path("window").asText(),
        Instant.parse(d.path("from").asText()).toEpochMilli(),
        Instant.parse(d.path("to").asText()).toEpochMilli(),
        d.path("kind").asText(),
        d.path("new_users").asLong(),
        baseline,
        d.path("baseline_median").asDouble(),
        d.path("expected_low").asDouble(),
        d.path("expected_high").asDouble(),
        Instant.parse(d.path("detected_at").asText()).toEpochMilli(),
        d.path("delivery").asText(),
        d.path("attempts").asInt(),
        d.path("last_error").asText(),
        d.path("next_attempt_at").asLong(),
        d.has("delivered_at") ? Instant.parse(d.path("delivered_at").asText()).toEpochMilli() : 0);
  }

  /** This alert accepted by the webhook at {@code at}. */
  ChannelAlert delivered(long at) {
    return new ChannelAlert(
        product,
        channel,
        window,
        from,
        to,
        kind,
        newUsers,
        baseline,
        median,
        low,
        high,
        detectedAt,
        DELIVERED,
        attempts + 1,
        "",
        0,
        at);
  }

  /** This alert after a failed delivery, to be tried again at {@code next}. */
  ChannelAlert failed(String error, long next) {
    return new ChannelAlert(
        product,
        channel,
        window,
        from,
        to,
        kind,
        newUsers,
        baseline,
        median,
        low,
        high,
        detectedAt,
        PENDING,
        attempts + 1,
        error,
        next,
        0);
  }
}
