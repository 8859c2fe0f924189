package dev.channelanalytics.common.records;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.channelanalytics.common.contract.RejectReason;
import dev.channelanalytics.common.contract.RejectedEvent;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * One reject of the contract (section 5): the value of a {@code dead-letters} record.
 *
 * <p>It carries the original {@code raw-logs} bytes (base64, since they need not be UTF-8) and
 * their Kafka coordinates, so the reject can be inspected and replayed. The Kafka key is the reason
 * code.
 *
 * <p>One envelope yields at most one dead letter per reason (contract section 5, Limits): the
 * {@code bad_event} rejects of a batch are one dead letter that counts them ({@link
 * #eventsRejected}) and shows the first {@link #MAX_EVENT_SAMPLES}, so a small upload that inflates
 * to thousands of bad events cannot flood the topic with copies of itself.
 *
 * <p>A dead letter is at most {@link #MAX_BYTES}, within Kafka's default record size: when the
 * original bytes do not fit, it keeps their first {@link #PREFIX_BYTES} ({@link #truncated} is then
 * true; the whole record stays in {@code raw-logs} and the offline archive at its coordinates), and
 * each sampled event's JSON is cut to {@link #MAX_EVENT_CHARS}.
 *
 * @param reason the contract's reason
 * @param detail a short explanation without key material, or null
 * @param origin the {@code raw-logs} record
 * @param envelope the original record value, or null when the record had none
 * @param appKey the app key when the envelope decoded that far, or null
 * @param eventsRejected how many events of the batch were rejected for {@code bad_event}, else 0
 * @param events the first rejected events, in array order, each as it appeared in the plaintext
 * @param truncated whether {@code envelope} is only the start of the original, which did not fit
 */
public record DeadLetter(
    RejectReason reason,
    String detail,
    RecordOrigin origin,
    byte[] envelope,
    String appKey,
    int eventsRejected,
    List<RejectedEvent> events,
    boolean truncated)
    implements Serializable {

  /** The largest dead letter: 1 MiB, as the contract says. */
  public static final int MAX_BYTES = 1024 * 1024;

  /** How much of an original too large to copy is kept. */
  public static final int PREFIX_BYTES = 64 * 1024;

  /** How many of a batch's rejected events a dead letter shows. */
  public static final int MAX_EVENT_SAMPLES = 100;

  /** How much of one sampled event's JSON a dead letter shows. */
  public static final int MAX_EVENT_CHARS = 512;

  /** Room for everything but the envelope and the events: reason, detail, origin, app key. */
  private static final int OVERHEAD = 16 * 1024;

  /** Escaped JSON takes at most six bytes per character (a unicode escape). */
  private static final int EVENTS_BUDGET = MAX_EVENT_SAMPLES * (MAX_EVENT_CHARS * 6 + 64);

  public DeadLetter {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(origin, "origin");
    events = events == null ? List.of() : List.copyOf(events);
  }

  /** A whole envelope rejected. */
  public static DeadLetter ofEnvelope(
      RejectReason reason, String detail, RecordOrigin origin, byte[] envelope, String appKey) {
    return new DeadLetter(reason, detail, origin, envelope, appKey, 0, List.of(), false);
  }

  /**
   * The rejected events of an otherwise accepted batch, as one dead letter.
   *
   * @param rejected every rejected event of the batch, in array order; not empty
   */
  public static DeadLetter ofEvents(
      RecordOrigin origin, byte[] envelope, String appKey, List<RejectedEvent> rejected) {
    if (rejected.isEmpty()) {
      throw new IllegalArgumentException("a bad_event dead letter needs a rejected event");
    }
    List<RejectedEvent> shown = rejected.subList(0, Math.min(rejected.size(), MAX_EVENT_SAMPLES));
    String detail =
        rejected.size() == 1
            ? "event " + rejected.get(0).index() + " has no numeric ts or no string type"
            : rejected.size() + " events have no numeric ts or no string type";
    return new DeadLetter(
        RejectReason.BAD_EVENT, detail, origin, envelope, appKey, rejected.size(), shown, false);
  }

  /**
   * How many of the contract's rejects this dead letter stands for: its events for {@code
   * bad_event}, else one envelope.
   */
  public long rejects() {
    return reason == RejectReason.BAD_EVENT ? eventsRejected : 1;
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
            + (events.isEmpty() ? 0 : EVENTS_BUDGET);
    boolean cut = truncated || whole > MAX_BYTES;
    byte[] kept =
        envelope == null || !cut || envelope.length <= PREFIX_BYTES
            ? envelope
            : Arrays.copyOf(envelope, PREFIX_BYTES);
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
          if (reason == RejectReason.BAD_EVENT) {
            g.writeNumberField("events_rejected", eventsRejected);
            g.writeArrayFieldStart("events");
            for (RejectedEvent e : events.subList(0, Math.min(events.size(), MAX_EVENT_SAMPLES))) {
              g.writeStartObject();
              g.writeNumberField("index", e.index());
              String json = e.eventJson();
              g.writeStringField(
                  "event",
                  json.length() <= MAX_EVENT_CHARS ? json : json.substring(0, MAX_EVENT_CHARS));
              g.writeEndObject();
            }
            g.writeEndArray();
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
    int eventsRejected = 0;
    List<RejectedEvent> events = new ArrayList<>();
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
          case "events_rejected" -> eventsRejected = p.getIntValue();
          case "events" -> readEvents(p, events);
          case "envelope_base64" -> envelope = Base64.getDecoder().decode(p.getText());
          case "envelope_truncated" -> truncated = p.getBooleanValue();
          default -> p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a dead letter: " + e.getMessage(), e);
    }
    return new DeadLetter(
        reason, detail, origin, envelope, appKey, eventsRejected, events, truncated);
  }

  private static void readEvents(JsonParser p, List<RejectedEvent> into) throws IOException {
    RecordJson.expect(p.currentToken(), JsonToken.START_ARRAY);
    while (p.nextToken() == JsonToken.START_OBJECT) {
      int index = -1;
      String json = null;
      String field;
      while ((field = RecordJson.nextField(p)) != null) {
        switch (field) {
          case "index" -> index = p.getIntValue();
          case "event" -> json = p.getText();
          default -> p.skipChildren();
        }
      }
      into.add(new RejectedEvent(index, RejectReason.BAD_EVENT, json));
    }
  }
}
