package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One record of the {@code product-config} topic (contract section 4): an app key mapped to a
 * product, or the removal of that mapping.
 *
 * @param appKey the app key exactly as clients send it
 * @param productId the product, or null when the mapping is removed
 */
public record ProductMapping(String appKey, String productId) implements Serializable {

  public ProductMapping {
    if (appKey == null || appKey.isBlank()) {
      throw new IllegalArgumentException("app_key must not be blank");
    }
    if (productId != null && productId.isBlank()) {
      throw new IllegalArgumentException("product_id of app_key " + appKey + " is blank");
    }
    String problem = Normalisation.identifierProblem("app_key", appKey);
    if (problem == null && productId != null) {
      problem = Normalisation.identifierProblem("product_id", productId);
    }
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Whether this record removes the mapping of its app key. */
  public boolean isDeletion() {
    return productId == null;
  }

  /**
   * Reads a Kafka record of the {@code product-config} topic.
   *
   * @param key the record key, the app key as UTF-8; may be null when the value names the app key
   * @param value the mapping JSON, or null for the removal of the key's app key
   * @throws IllegalArgumentException for a value that is not a valid mapping, a deletion without a
   *     key, or a key that differs from the value's app key
   */
  public static ProductMapping fromKafka(byte[] key, byte[] value) {
    String keyText = key == null ? null : new String(key, StandardCharsets.UTF_8);
    if (value == null) {
      if (keyText == null) {
        throw new IllegalArgumentException("a null value (deletion) needs the app_key as key");
      }
      return new ProductMapping(keyText, null);
    }
    ProductMapping mapping = parse(new String(value, StandardCharsets.UTF_8));
    // Compaction keeps one record per key; a value for another app key would be compacted wrongly.
    if (keyText != null && !keyText.equals(mapping.appKey)) {
      throw new IllegalArgumentException(
          "record key " + keyText + " differs from app_key " + mapping.appKey);
    }
    return mapping;
  }

  /**
   * Reads one mapping line such as {@code {"app_key":"ak_7f3a","product_id":"browser"}}; a {@code
   * null} product_id is a deletion.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static ProductMapping parseLine(String jsonLine) {
    if (jsonLine == null) {
      throw new IllegalArgumentException("mapping line is null");
    }
    return parse(jsonLine);
  }

  private static ProductMapping parse(String json) {
    JsonNode root;
    try {
      root = ContractJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("mapping is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("mapping must be a JSON object");
    }
    JsonNode appKey = root.get("app_key");
    if (appKey == null || appKey.isNull()) {
      throw new IllegalArgumentException("mapping has no app_key");
    }
    if (!appKey.isTextual()) {
      throw new IllegalArgumentException("app_key must be a string");
    }
    if (!root.has("product_id")) {
      throw new IllegalArgumentException(
          "mapping of app_key " + appKey.textValue() + " has no product_id (use null to remove)");
    }
    JsonNode productId = root.get("product_id");
    if (!productId.isNull() && !productId.isTextual()) {
      throw new IllegalArgumentException(
          "product_id of app_key " + appKey.textValue() + " must be a string or null");
    }
    return new ProductMapping(
        appKey.textValue(), productId.isNull() ? null : productId.textValue());
  }

  /** The mapping as the JSON value of a {@code product-config} record. */
  public byte[] toJson() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    try (JsonGenerator json = ContractJson.FACTORY.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("app_key", appKey);
      json.writeStringField("product_id", productId);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
