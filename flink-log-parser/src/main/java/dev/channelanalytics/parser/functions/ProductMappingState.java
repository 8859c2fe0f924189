package dev.channelanalytics.parser.functions;

import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * The broadcast state of product mappings: app key to product id, as last seen on {@code
 * product-config}. Every parallel instance holds the full map; it is small (one entry per app key).
 */
public final class ProductMappingState {
  /** The descriptor both the parser and the hold use, so they read the same broadcast stream. */
  public static final MapStateDescriptor<String, String> DESCRIPTOR =
      new MapStateDescriptor<>("product-mappings", Types.STRING, Types.STRING);

  private ProductMappingState() {}
}
