package dev.channelanalytics.common.contract;

/**
 * What decoding one envelope gives: either a batch of events or a rejection with its reason, so
 * that callers must handle both and nothing is dropped silently.
 */
public sealed interface DecodeResult permits DecodedBatch, RejectedEnvelope {}
