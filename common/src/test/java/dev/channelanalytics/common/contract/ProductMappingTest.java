package dev.channelanalytics.common.contract;

import static dev.channelanalytics.common.contract.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProductMappingTest {

  @Test
  void parsesAMappingLine() {
    assertThat(ProductMapping.parseLine("{\"app_key\":\"ak_7f3a\",\"product_id\":\"browser\"}"))
        .isEqualTo(new ProductMapping("ak_7f3a", "browser"));
  }

  @Test
  void nullProductIdIsADeletion() {
    ProductMapping mapping =
        ProductMapping.parseLine("{\"app_key\":\"ak_7f3a\",\"product_id\":null}");
    assertThat(mapping.productId()).isNull();
    assertThat(mapping.isDeletion()).isTrue();
  }

  @Test
  void unknownFieldsAreIgnoredAndAppKeyIsKeptExactly() {
    assertThat(ProductMapping.parseLine("{\"note\":1,\"app_key\":\" AK \",\"product_id\":\"p\"}"))
        .isEqualTo(new ProductMapping(" AK ", "p"));
  }

  @Test
  void kafkaRecordWithKeyAndValueIsAMapping() {
    assertThat(
            ProductMapping.fromKafka(utf8("ak"), utf8("{\"app_key\":\"ak\",\"product_id\":\"p\"}")))
        .isEqualTo(new ProductMapping("ak", "p"));
  }

  @Test
  void kafkaRecordWithoutKeyTakesTheAppKeyFromTheValue() {
    assertThat(ProductMapping.fromKafka(null, utf8("{\"app_key\":\"ak\",\"product_id\":\"p\"}")))
        .isEqualTo(new ProductMapping("ak", "p"));
  }

  @Test
  void kafkaTombstoneDeletesTheKeysAppKey() {
    assertThat(ProductMapping.fromKafka(utf8("ak"), null))
        .isEqualTo(new ProductMapping("ak", null));
  }

  @Test
  void kafkaTombstoneWithoutKeyIsRejected() {
    assertThatThrownBy(() -> ProductMapping.fromKafka(null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs the app_key as key");
  }

  @Test
  void kafkaKeyThatDiffersFromTheValuesAppKeyIsRejected() {
    assertThatThrownBy(
            () ->
                ProductMapping.fromKafka(
                    utf8("ak1"), utf8("{\"app_key\":\"ak2\",\"product_id\":\"p\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("record key ak1 differs from app_key ak2");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "not json | mapping is not valid JSON",
        "[1] | mapping must be a JSON object",
        "'' | mapping must be a JSON object",
        "{\"product_id\":\"p\"} | mapping has no app_key",
        "{\"app_key\":null,\"product_id\":\"p\"} | mapping has no app_key",
        "{\"app_key\":5,\"product_id\":\"p\"} | app_key must be a string",
        "{\"app_key\":\"  \",\"product_id\":\"p\"} | app_key must not be blank",
        "{\"app_key\":\"ak\"} | mapping of app_key ak has no product_id",
        "{\"app_key\":\"ak\",\"product_id\":7} | product_id of app_key ak must be a string or null",
        "{\"app_key\":\"ak\",\"product_id\":{}} | product_id of app_key ak must be a string or null",
        "{\"app_key\":\"ak\",\"product_id\":\"\"} | product_id of app_key ak is blank",
        "{\"app_key\":\"ak\",\"product_id\":\"p\"} x | mapping is not valid JSON",
      })
  void invalidMappingsAreRejectedWithAClearMessage(String line, String message) {
    assertThatThrownBy(() -> ProductMapping.parseLine(line))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
    assertThatThrownBy(() -> ProductMapping.fromKafka(null, utf8(line)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void toJsonRoundTripsMappingsAndDeletions() {
    for (ProductMapping mapping :
        new ProductMapping[] {new ProductMapping("ak", "p"), new ProductMapping("a\"k", null)}) {
      assertThat(ProductMapping.fromKafka(null, mapping.toJson())).isEqualTo(mapping);
    }
    assertThat(
            new String(
                new ProductMapping("ak", null).toJson(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("{\"app_key\":\"ak\",\"product_id\":null}");
  }
}
