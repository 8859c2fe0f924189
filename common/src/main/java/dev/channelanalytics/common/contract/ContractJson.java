package dev.channelanalytics.common.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one Jackson factory and mapper of the contract package, shared because both are thread-safe
 * and costly to build.
 */
final class ContractJson {

  /**
   * Numbers may be as long as strings: the contract treats a huge {@code ts} as a number outside
   * the window, not as a broken payload, and every caller reads number values only after a length
   * check.
   */
  private static final int MAX_NUMBER_LENGTH = 20_000_000;

  static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNumberLength(MAX_NUMBER_LENGTH).build())
          // Parser messages would otherwise quote the input, which may be a key or a plaintext.
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .build();

  /** Trailing content after the value is an error, as it is for the decoder. */
  static final ObjectMapper MAPPER =
      new ObjectMapper(FACTORY).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private ContractJson() {}
}
