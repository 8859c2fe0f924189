package dev.channelanalytics.common.records;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** The JSON pieces parsed batches and dead letters share. */
final class RecordJson {
  private RecordJson() {}

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
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
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

  static void expect(JsonToken actual, JsonToken expected) {
    if (actual != expected) {
      throw new IllegalArgumentException("expected " + expected + " but found " + actual);
    }
  }
}
