package dev.channelanalytics.common.contract;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One accepted upload of one device of one app, with normalised fields, ready for the real-time and
 * offline paths alike.
 *
 * @param src the collector that received the upload
 * @param kid the key id the envelope was encrypted with
 * @param recvTs server receive time, epoch milliseconds
 * @param appKey the {@code app_key} exactly as sent (mapping lookups use the exact string)
 * @param deviceId the normalised {@code device_id}
 * @param channel the normalised channel, {@code organic} when none was sent
 * @param appVersion the {@code app_version} as sent, or null
 * @param os the {@code os} as sent, or null
 * @param events the valid events, in array order
 * @param rejectedEvents the events rejected with {@link RejectReason#BAD_EVENT}, in array order
 */
public record DecodedBatch(
    String src,
    String kid,
    long recvTs,
    String appKey,
    String deviceId,
    String channel,
    String appVersion,
    String os,
    List<DecodedEvent> events,
    List<RejectedEvent> rejectedEvents)
    implements DecodeResult, Serializable {

  public DecodedBatch {
    Objects.requireNonNull(src, "src");
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(appKey, "appKey");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(channel, "channel");
    events = List.copyOf(events);
    rejectedEvents = List.copyOf(rejectedEvents);
  }
}
