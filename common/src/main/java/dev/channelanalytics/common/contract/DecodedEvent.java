package dev.channelanalytics.common.contract;

import java.io.Serializable;
import java.util.Objects;

/**
 * One valid event of a batch with its event time already clamped, so that downstream code never
 * sees an untrusted client clock.
 *
 * @param index position of the event in the batch's {@code events} array
 * @param type the event's {@code type}
 * @param eventTime epoch milliseconds after the clamp of contract section 6
 * @param clientTimeTrusted false when the clamp replaced the client's {@code ts} by {@code recv_ts}
 */
public record DecodedEvent(int index, String type, long eventTime, boolean clientTimeTrusted)
    implements Serializable {

  public DecodedEvent {
    Objects.requireNonNull(type, "type");
  }
}
