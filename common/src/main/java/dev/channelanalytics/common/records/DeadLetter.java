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
 * <p>It carries the original {@code raw-logs} bytes (base64, since they need not be UTF-8) and
 * their Kafka coordinates, so the reject can be inspected and replayed; a rejected event also names
 * its index and its JSON. The Kafka key is the reason code.
 *
 * <p>A dead letter is at most {@link #MAX_BYTES} (contract section 5, Limits), within Kafka's
 * default record size: when the original bytes do not fit, it keeps their first {@link
 * #PREFIX_BYTES} ({@link #truncated} is then true; the whole record stays in {@code raw-logs} and
 * the offline archive at its coordinates), and an event's JSON is cut the same way.
 *
 * @param reason the contract's reason
 * @param detail a short explanation without key material, or null
 * @param origin the {@code raw-logs} record
 * @param envelope the original record value, or null when the record had none
 * @param appKey the app key when the envelope decoded that far, or null
 * @param eventIndex the index of the rejected event for {@code bad_event}, else -1
 * @param eventJson the rejected event as it appeared in the plaintext, or null
 * @param truncated whether {@code envelope} (and {@code eventJson}) are only the start of the
 *     original, which did not fit in a dead letter
 */
public record DeadLetter(
    RejectReason reason,
    String detail,
    RecordOrigin origin,
    byte[] envelope,
    String appKey,
    int eventIndex,
    String eventJson,
    boolean truncated)
    implements Serializable {

  /** The largest dead letter: 1 MiB, as the contract says. */
  public static final int MAX_BYTES = 1024 * 1024;

  /** How much of an original too large to copy is kept. */
  public static final int PREFIX_BYTES = 64 * 1024;

  /** Room for everything but the envelope and the event: reason, detail, origin, app key. */
  private static final int OVERHEAD = 16 * 1024;

  public DeadLetter {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(origin, "origin");
  }

  /** A whole envelope rejected. */
  public static DeadLetter ofEnvelope(
      RejectReason reason, String detail, RecordOrigin origin, byte[] envelope, String appKey) {
    return new DeadLetter(reason, detail, origin, envelope, appKey, -1, null, false);
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
        eventJson,
        false);
  }

  /** The Kafka key: the reason code. */
  public byte[] kafkaKey() {
    return reason.code().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The JSON value of the {@code dead-letters} record, at most {@link #MAX_BYTES}: an original too
   * large for that is kept as its first {@link #PREFIX_BYTES} ({@code envelope_truncated}).
   */
  public byte[] toJson() {
    long whole =
        OVERHEAD
            + (envelope == null ? 0 : (envelope.length + 2L) / 3 * 4)
            + (eventJson == null ? 0 : eventJson.length() * 6L);
    boolean cut = truncated || whole > MAX_BYTES;
    byte[] kept =
        envelope == null || !cut || envelope.length <= PREFIX_BYTES
            ? envelope
            : java.util.Arrays.copyOf(envelope, PREFIX_BYTES);
    String event =
        eventJson == null || !cut || eventJson.length() <= PREFIX_BYTES / 6
            ? eventJson
            : eventJson.substring(0, PREFIX_BYTES / 6);
    String shortDetail =
        detail == null || detail.length() <= 1024 ? detail : detail.substring(0, 1024);
    return RecordJson.object(
        256 + (kept == null ? 0 : kept.length * 4 / 3),
        g -> {
          g.writeStringField("reason", reason.code());
          if (shortDetail != null) {
            g.writeStringField("detail", shortDetail);
          }
          RecordJson.writeOrigin(g, origin);
          if (appKey != null) {
            g.writeStringField(
                "app_key", appKey.length() <= 1024 ? appKey : appKey.substring(0, 1024));
          }
          if (eventIndex >= 0) {
            g.writeNumberField("event_index", eventIndex);
            g.writeStringField("event", event);
          }
          if (kept != null) {
            g.writeStringField("envelope_base64", Base64.getEncoder().encodeToString(kept));
          }
          if (cut) {
            g.writeBooleanField("envelope_truncated", true);
            if (envelope != null) {
              g.writeNumberField("envelope_bytes", envelope.length);
            }
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
    boolean truncated = false;
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
          case "envelope_truncated" -> truncated = p.getBooleanValue();
          default -> p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a dead letter: " + e.getMessage(), e);
    }
    return new DeadLetter(
        reason, detail, origin, envelope, appKey, eventIndex, eventJson, truncated);
  }
}
