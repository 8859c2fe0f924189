package dev.channelanalytics.common.records;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The JSON pieces parsed batches and dead letters share. */
final class RecordJson {
  static final JsonFactory FACTORY = new JsonFactory();

  private RecordJson() {}

  /** Writes the fields of one JSON object. */
  @FunctionalInterface
  interface ObjectFields {
    void write(JsonGenerator g) throws IOException;
  }

  /** One JSON object as bytes, in a buffer of {@code sizeHint} bytes to start with. */
  static byte[] object(int sizeHint, ObjectFields fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static void writeOrigin(JsonGenerator g, RecordOrigin origin) throws IOException {
    g.writeObjectFieldStart("origin");
    g.writeStringField("topic", origin.topic());
    g.writeNumberField("partition", origin.partition());
    g.writeNumberField("offset", origin.offset());
    g.writeNumberField("timestamp", origin.timestamp());
    g.writeEndObject();
  }

  static RecordOrigin readOrigin(JsonParser p) throws IOException {
    expect(p.currentToken(), JsonToken.START_OBJECT);
    String topic = null;
    int partition = 0;
    long offset = 0;
    long timestamp = 0;
    String field;
    while ((field = nextField(p)) != null) {
      switch (field) {
        case "topic" -> topic = p.getText();
        case "partition" -> partition = p.getIntValue();
        case "offset" -> offset = p.getLongValue();
        case "timestamp" -> timestamp = p.getLongValue();
        default -> p.skipChildren();
      }
    }
    return new RecordOrigin(topic, partition, offset, timestamp);
  }

  /**
   * Moves from a field name of the current object to its value and returns the name; null at the
   * object's end. One loop for every reader, so each skips and ends objects the same way.
   */
  static String nextField(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.FIELD_NAME) {
      return null;
    }
    String field = p.currentName();
    p.nextToken();
    return field;
  }

  static void expect(JsonToken actual, JsonToken expected) {
    if (actual != expected) {
      throw new IllegalArgumentException("expected " + expected + " but found " + actual);
    }
  }
}
