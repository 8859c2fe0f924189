package dev.channelanalytics.common.records;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.channelanalytics.common.contract.DecodedBatch;
import dev.channelanalytics.common.contract.DecodedEvent;
import dev.channelanalytics.common.contract.Normalisation;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One accepted upload enriched with its product: the value of a {@code parsed-events} record.
 *
 * <p>The record is per batch, not per event, because the contract gives the channel per batch and a
 * batch is what the sharder needs (its earliest event); each valid event keeps its index, type and
 * clamped time. The Kafka key is {@link #kafkaKey()}, so one user always lands on one partition.
 *
 * @param productId the product the app key was mapped to when the batch was accepted
 * @param deviceId the normalised device id
 * @param channel the normalised channel
 * @param appKey the app key as sent
 * @param recvTs server receive time, epoch milliseconds
 * @param src the collector
 * @param kid the key id the envelope was encrypted with
 * @param appVersion the app version, or null
 * @param os the operating system, or null
 * @param origin the {@code raw-logs} record the batch was decoded from
 * @param events the valid events in array order, never empty
 */
public record ParsedBatch(
    String productId,
    String deviceId,
    String channel,
    String appKey,
    long recvTs,
    String src,
    String kid,
    String appVersion,
    String os,
    RecordOrigin origin,
    List<DecodedEvent> events)
    implements Serializable {

  public ParsedBatch {
    Objects.requireNonNull(productId, "productId");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(appKey, "appKey");
    Objects.requireNonNull(origin, "origin");
    requireIdentifier("product_id", productId);
    requireIdentifier("device_id", deviceId);
    requireIdentifier("channel", channel);
    requireIdentifier("app_key", appKey);
    events = List.copyOf(events);
    if (events.isEmpty()) {
      throw new IllegalArgumentException("a parsed batch has at least one event");
    }
  }

  /**
   * Holds every batch to the contract's identifier limits (section 5), so that a record the parser
   * did not write (a foreign producer, a bug) cannot reach Elasticsearch with an id it refuses.
   */
  private static void requireIdentifier(String field, String value) {
    if (value.isBlank()) {
      throw new IllegalArgumentException(field + " is blank");
    }
    String problem = Normalisation.identifierProblem(field, value);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Enriches a decoded batch with its product. */
  public static ParsedBatch of(DecodedBatch batch, String productId, RecordOrigin origin) {
    return new ParsedBatch(
        productId,
        batch.deviceId(),
        batch.channel(),
        batch.appKey(),
        batch.recvTs(),
        batch.src(),
        batch.kid(),
        batch.appVersion(),
        batch.os(),
        origin,
        batch.events());
  }

  /** The earliest event time of the batch: the only time the first-seen rule needs from it. */
  public long firstEventTime() {
    long min = Long.MAX_VALUE;
    for (DecodedEvent e : events) {
      min = Math.min(min, e.eventTime());
    }
    return min;
  }

  /** The Kafka key: product and device, so one user is always on one partition. */
  public byte[] kafkaKey() {
    return kafkaKey(productId, deviceId);
  }

  /** The Kafka key of a user; a newline cannot occur in a product id read from JSON unescaped. */
  public static byte[] kafkaKey(String productId, String deviceId) {
    return (productId + '\n' + deviceId).getBytes(StandardCharsets.UTF_8);
  }

  /** The JSON value of the {@code parsed-events} record. */
  public byte[] toJson() {
    return RecordJson.object(
        256 + 64 * events.size(),
        g -> {
          g.writeStringField("product_id", productId);
          g.writeStringField("device_id", deviceId);
          g.writeStringField("channel", channel);
          g.writeStringField("app_key", appKey);
          g.writeNumberField("recv_ts", recvTs);
          g.writeStringField("src", src);
          g.writeStringField("kid", kid);
          if (appVersion != null) {
            g.writeStringField("app_version", appVersion);
          }
          if (os != null) {
            g.writeStringField("os", os);
          }
          RecordJson.writeOrigin(g, origin);
          g.writeArrayFieldStart("events");
          for (DecodedEvent e : events) {
            g.writeStartObject();
            g.writeNumberField("i", e.index());
            g.writeStringField("type", e.type());
            g.writeNumberField("t", e.eventTime());
            if (!e.clientTimeTrusted()) {
              g.writeBooleanField("clamped", true);
            }
            g.writeEndObject();
          }
          g.writeEndArray();
        });
  }

  /**
   * Reads a {@code parsed-events} value written by {@link #toJson()}.
   *
   * @throws IllegalArgumentException when the value is not a parsed batch
   */
  public static ParsedBatch fromJson(byte[] json) {
    String productId = null;
    String deviceId = null;
    String channel = null;
    String appKey = null;
    long recvTs = 0;
    String src = null;
    String kid = null;
    String appVersion = null;
    String os = null;
    RecordOrigin origin = null;
    List<DecodedEvent> events = new ArrayList<>();
    try (JsonParser p = RecordJson.FACTORY.createParser(json)) {
      RecordJson.expect(p.nextToken(), JsonToken.START_OBJECT);
      String field;
      while ((field = RecordJson.nextField(p)) != null) {
        switch (field) {
          case "product_id" -> productId = p.getText();
          case "device_id" -> deviceId = p.getText();
          case "channel" -> channel = p.getText();
          case "app_key" -> appKey = p.getText();
          case "recv_ts" -> recvTs = p.getLongValue();
          case "src" -> src = p.getText();
          case "kid" -> kid = p.getText();
          case "app_version" -> appVersion = p.getText();
          case "os" -> os = p.getText();
          case "origin" -> origin = RecordJson.readOrigin(p);
          case "events" -> readEvents(p, events);
          default -> p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a parsed batch: " + e.getMessage(), e);
    }
    try {
      return new ParsedBatch(
          productId, deviceId, channel, appKey, recvTs, src, kid, appVersion, os, origin, events);
    } catch (NullPointerException | IllegalArgumentException e) {
      // A field missing or beyond the contract: still "not a parsed batch" to the reader.
      throw new IllegalArgumentException("not a parsed batch: " + e.getMessage(), e);
    }
  }

  private static void readEvents(JsonParser p, List<DecodedEvent> events) throws IOException {
    RecordJson.expect(p.currentToken(), JsonToken.START_ARRAY);
    while (p.nextToken() == JsonToken.START_OBJECT) {
      int index = 0;
      String type = null;
      long t = 0;
      boolean clamped = false;
      String field;
      while ((field = RecordJson.nextField(p)) != null) {
        switch (field) {
          case "i" -> index = p.getIntValue();
          case "type" -> type = p.getText();
          case "t" -> t = p.getLongValue();
          case "clamped" -> clamped = p.getBooleanValue();
          default -> p.skipChildren();
        }
      }
      events.add(new DecodedEvent(index, type, t, !clamped));
    }
  }
}
