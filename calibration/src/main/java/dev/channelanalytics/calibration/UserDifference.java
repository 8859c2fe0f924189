package dev.channelanalytics.calibration;

import dev.channelanalytics.common.records.FirstSeenRecord;

/**
 * One user the two paths disagree on, in a way that changes a report: the offline path's first
 * sighting beside the real-time one (either null when that side has no such user).
 *
 * @param kind how they disagree
 * @param offline the offline path's first sighting, null for {@link Kind#EXTRA_IN_REAL_TIME}
 * @param realTime the real-time first sighting, null for {@link Kind#MISSING_IN_REAL_TIME}
 */
public record UserDifference(Kind kind, FirstSeenRecord offline, FirstSeenRecord realTime) {
  /** How the paths disagree on a user, most serious first. */
  public enum Kind {
    /** The offline path has the user, the real-time path does not. */
    MISSING_IN_REAL_TIME,
    /** The real-time path has a user the offline path does not. */
    EXTRA_IN_REAL_TIME,
    /** Both have the user, in different minutes. */
    OTHER_MINUTE,
    /** Both have the user in the same minute, with different channels. */
    OTHER_CHANNEL
  }

  /** The device both sides are about. */
  public String deviceId() {
    return offline != null ? offline.deviceId() : realTime.deviceId();
  }
}
