package dev.channelanalytics.common.simulation;

/**
 * One record the simulator sends, in arrival order: an envelope for {@code raw-logs} or a mapping
 * for {@code product-config}.
 *
 * @param key the Kafka key (the app key for mappings; null for envelopes)
 * @param value the Kafka value: the envelope or the mapping JSON, UTF-8
 * @param intended for envelopes, the reason it was made to be rejected with, or null
 */
public record SimulatedRecord(
    Destination destination,
    byte[] key,
    byte[] value,
    dev.channelanalytics.common.contract.RejectReason intended) {

  /** Which contract topic a record belongs to. */
  public enum Destination {
    RAW_LOGS,
    PRODUCT_CONFIG
  }

  public boolean isMapping() {
    return destination == Destination.PRODUCT_CONFIG;
  }
}
