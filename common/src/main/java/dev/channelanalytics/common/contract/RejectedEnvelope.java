package dev.channelanalytics.common.contract;

import java.io.Serializable;
import java.util.Objects;

/**
 * An envelope the contract rejects as a whole, carrying the reason code for the dead-letter topic
 * and metrics.
 *
 * @param reason the contract's reason
 * @param detail a short human explanation such as {@code "missing field kid"}; never key bytes or
 *     plaintext
 */
public record RejectedEnvelope(RejectReason reason, String detail)
    implements DecodeResult, Serializable {

  public RejectedEnvelope {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
  }
}
