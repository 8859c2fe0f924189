package dev.channelanalytics.parser.records;

/**
 * A decodable envelope whose app key had no product mapping when it was parsed; it waits, keyed by
 * app key, for its mapping or the end of the hold time.
 *
 * <p>The envelope is kept raw and decoded again on release: that keeps the held state small and of
 * simple types, and decoding is deterministic.
 *
 * @param appKey the batch's app key, exactly as sent
 * @param raw the original record
 * @param holdUntil processing time (epoch ms) after which the batch is rejected as {@code
 *     unknown_app_key}; set by the hold when the batch arrives there
 */
public record UnmappedEnvelope(String appKey, RawEnvelope raw, long holdUntil) {

  public UnmappedEnvelope withHoldUntil(long deadline) {
    return new UnmappedEnvelope(appKey, raw, deadline);
  }
}
