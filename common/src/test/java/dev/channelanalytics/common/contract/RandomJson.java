package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Random;

/** Random JSON values, biased towards the shapes and edge values the contract cares about. */
final class RandomJson {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String[] STRINGS = {
    "",
    " ",
    "1",
    "gzip",
    "k1",
    "unknown",
    " NULL ",
    "000-000",
    "AAAAAAAAAAAAAAAA",
    "é",
    "\u0000",
    "\uD83D\uDE00"
  };

  private RandomJson() {}

  static JsonNode value(Random random, int depth) {
    int kind = random.nextInt(depth > 0 ? 10 : 8);
    return switch (kind) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.booleanNode(random.nextBoolean());
      case 2 -> NODES.numberNode(random.nextInt(5) - 1);
      case 3 -> NODES.numberNode(random.nextLong());
      case 4 -> NODES.numberNode(new BigDecimal(random.nextGaussian() * 1e13));
      case 5 -> NODES.numberNode(new BigInteger(90, random));
      case 6 -> NODES.textNode(STRINGS[random.nextInt(STRINGS.length)]);
      case 7 -> NODES.textNode(Long.toString(random.nextLong(), 36));
      case 8 -> {
        ArrayNode array = NODES.arrayNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          array.add(value(random, depth - 1));
        }
        yield array;
      }
      default -> {
        ObjectNode object = NODES.objectNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          object.set(STRINGS[random.nextInt(STRINGS.length)], value(random, depth - 1));
        }
        yield object;
      }
    };
  }

  /** A plaintext batch where each field is usually right and sometimes anything at all. */
  static ObjectNode plaintext(Random random) {
    ObjectNode batch = NODES.objectNode();
    maybe(random, batch, "app_key", NODES.textNode("ak_" + random.nextInt(10)));
    maybe(random, batch, "device_id", NODES.textNode(Long.toHexString(random.nextLong())));
    maybe(random, batch, "channel", NODES.textNode(" Store_" + random.nextInt(3)));
    maybe(random, batch, "app_version", NODES.textNode("5.2." + random.nextInt(9)));
    ArrayNode events = NODES.arrayNode();
    for (int i = random.nextInt(5); i > 0; i--) {
      ObjectNode event = NODES.objectNode();
      maybe(random, event, "type", NODES.textNode("launch"));
      maybe(
          random,
          event,
          "ts",
          NODES.numberNode(Fixtures.RECV_TS + (long) (random.nextGaussian() * 3e8)));
      events.add(random.nextInt(10) == 0 ? value(random, 2) : event);
    }
    maybe(random, batch, "events", events);
    return batch;
  }

  private static void maybe(Random random, ObjectNode object, String field, JsonNode usual) {
    int roll = random.nextInt(10);
    if (roll < 7) {
      object.set(field, usual);
    } else if (roll < 9) {
      object.set(field, value(random, 2));
    }
  }
}
