package dev.channelanalytics.common.contract;

import java.util.Locale;

/**
 * The reason codes of the log contract, so that every rejection the pipeline records carries one of
 * the contract's fixed codes.
 */
public enum RejectReason {
  /** Not JSON, wrong {@code v}, or a required envelope field missing or of the wrong type. */
  BAD_ENVELOPE,
  /** The envelope's {@code kid} is not in the keyring. */
  UNKNOWN_KEY,
  /** Bad base64, wrong nonce length, or a GCM tag mismatch. */
  DECRYPT_FAILED,
  /** Gunzip fails, the plaintext is not a JSON object, or {@code events} is missing or empty. */
  BAD_PAYLOAD,
  /** {@code app_key} missing, not a string, or blank. */
  MISSING_APP_KEY,
  /** {@code device_id} missing, blank, or a placeholder after normalisation. */
  INVALID_DEVICE_ID,
  /** One event without a numeric {@code ts} or a string {@code type}; rejects that event only. */
  BAD_EVENT,
  /** No product mapping for the {@code app_key} after the hold time; never produced by decoding. */
  UNKNOWN_APP_KEY;

  private final String code = name().toLowerCase(Locale.ROOT);

  /** The contract's code, for example {@code bad_envelope}. */
  public String code() {
    return code;
  }

  /**
   * The reason for a contract code.
   *
   * @throws IllegalArgumentException if the code is not one of the contract's
   */
  public static RejectReason fromCode(String code) {
    if (code != null) {
      for (RejectReason reason : values()) {
        if (reason.code.equals(code)) {
          return reason;
        }
      }
    }
    throw new IllegalArgumentException("unknown reject reason code: " + code);
  }
}
