package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The plaintext of contract section 3 as a client app builds it, so that the simulator and tests
 * can write batches, including incomplete ones, without hand-written JSON.
 *
 * @param appKey the app key, omitted when null
 * @param deviceId the device id as the client sends it, omitted when null
 * @param channel the distribution channel, omitted when null
 * @param appVersion omitted when null
 * @param os omitted when null
 * @param events the events, omitted when null
 */
public record PlaintextBatch(
    String appKey,
    String deviceId,
    String channel,
    String appVersion,
    String os,
    List<ClientEvent> events) {

  public PlaintextBatch {
    events = events == null ? null : List.copyOf(events);
  }

  /** The batch as UTF-8 JSON, leaving out null fields. */
  public byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator json = ContractJson.FACTORY.createGenerator(out)) {
      json.writeStartObject();
      writeIfPresent(json, "app_key", appKey);
      writeIfPresent(json, "device_id", deviceId);
      writeIfPresent(json, "channel", channel);
      writeIfPresent(json, "app_version", appVersion);
      writeIfPresent(json, "os", os);
      if (events != null) {
        json.writeArrayFieldStart("events");
        for (ClientEvent event : events) {
          json.writeStartObject();
          writeIfPresent(json, "type", event.type());
          json.writeNumberField("ts", event.ts());
          json.writeEndObject();
        }
        json.writeEndArray();
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void writeIfPresent(JsonGenerator json, String field, String value)
      throws IOException {
    if (value != null) {
      json.writeStringField(field, value);
    }
  }
}
