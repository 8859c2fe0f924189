package dev.channelanalytics.common.records;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.channelanalytics.common.contract.RejectReason;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * One reject of the contract (section 5): the value of a {@code dead-letters} record.
 *
 * <p>It always carries the original {@code raw-logs} bytes (base64, since they need not be UTF-8)
 * and their Kafka coordinates, so the reject can be inspected and replayed; a rejected event also
 * names its index and its JSON. The Kafka key is the reason code.
 *
 * @param reason the contract's reason
 * @param detail a short explanation without key material, or null
 * @param origin the {@code raw-logs} record
 * @param envelope the original record value, or null when the record had none
 * @param appKey the app key when the envelope decoded that far, or null
 * @param eventIndex the index of the rejected event for {@code bad_event}, else -1
 * @param eventJson the rejected event as it appeared in the plaintext, or null
 */
public record DeadLetter(
    RejectReason reason,
    String detail,
    RecordOrigin origin,
    byte[] envelope,
    String appKey,
    int eventIndex,
    String eventJson)
    implements Serializable {

  public DeadLetter {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(origin, "origin");
  }

  /** A whole envelope rejected. */
  public static DeadLetter ofEnvelope(
      RejectReason reason, String detail, RecordOrigin origin, byte[] envelope, String appKey) {
    return new DeadLetter(reason, detail, origin, envelope, appKey, -1, null);
  }

  /** One event of an otherwise accepted batch rejected. */
  public static DeadLetter ofEvent(
      RecordOrigin origin, byte[] envelope, String appKey, int eventIndex, String eventJson) {
    return new DeadLetter(
        RejectReason.BAD_EVENT,
        "event " + eventIndex + " has no numeric ts or no string type",
        origin,
        envelope,
        appKey,
        eventIndex,
        eventJson);
  }

  /** The Kafka key: the reason code. */
  public byte[] kafkaKey() {
    return reason.code().getBytes(StandardCharsets.UTF_8);
  }

  /** The JSON value of the {@code dead-letters} record. */
  public byte[] toJson() {
    return RecordJson.object(
        256 + (envelope == null ? 0 : envelope.length * 4 / 3),
        g -> {
          g.writeStringField("reason", reason.code());
          if (detail != null) {
            g.writeStringField("detail", detail);
          }
          RecordJson.writeOrigin(g, origin);
          if (appKey != null) {
            g.writeStringField("app_key", appKey);
          }
          if (eventIndex >= 0) {
            g.writeNumberField("event_index", eventIndex);
            g.writeStringField("event", eventJson);
          }
          if (envelope != null) {
            g.writeStringField("envelope_base64", Base64.getEncoder().encodeToString(envelope));
          }
        });
  }

  /**
   * Reads a {@code dead-letters} value written by {@link #toJson()}.
   *
   * @throws IllegalArgumentException when the value is not a dead letter
   */
  public static DeadLetter fromJson(byte[] json) {
    RejectReason reason = null;
    String detail = null;
    RecordOrigin origin = null;
    byte[] envelope = null;
    String appKey = null;
    int eventIndex = -1;
    String eventJson = null;
    try (JsonParser p = RecordJson.FACTORY.createParser(json)) {
      RecordJson.expect(p.nextToken(), JsonToken.START_OBJECT);
      String field;
      while ((field = RecordJson.nextField(p)) != null) {
        switch (field) {
          case "reason" -> reason = RejectReason.fromCode(p.getText());
          case "detail" -> detail = p.getText();
          case "origin" -> origin = RecordJson.readOrigin(p);
          case "app_key" -> appKey = p.getText();
          case "event_index" -> eventIndex = p.getIntValue();
          case "event" -> eventJson = p.getText();
          case "envelope_base64" -> envelope = Base64.getDecoder().decode(p.getText());
          default -> p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a dead letter: " + e.getMessage(), e);
    }
    return new DeadLetter(reason, detail, origin, envelope, appKey, eventIndex, eventJson);
  }
}
