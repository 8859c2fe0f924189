package dev.channelanalytics.common.contract;

import java.io.Serializable;
import java.util.Objects;

/**
 * One event the contract rejects while the rest of its batch is kept, with what the dead-letter
 * topic needs to show it.
 *
 * @param index position of the event in the batch's {@code events} array
 * @param reason always {@link RejectReason#BAD_EVENT} from the decoder
 * @param eventJson the original array element, exactly as it appeared in the plaintext
 */
public record RejectedEvent(int index, RejectReason reason, String eventJson)
    implements Serializable {

  public RejectedEvent {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(eventJson, "eventJson");
  }
}
