package dev.channelanalytics.common.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RejectReasonTest {

  @Test
  void codesAreTheContractsLowerCaseCodes() {
    assertThat(RejectReason.values())
        .extracting(RejectReason::code)
        .containsExactly(
            "bad_envelope",
            "unknown_key",
            "decrypt_failed",
            "bad_payload",
            "missing_app_key",
            "invalid_device_id",
            "bad_event",
            "unknown_app_key");
  }

  @Test
  void fromCodeIsTheInverseOfCode() {
    for (RejectReason reason : RejectReason.values()) {
      assertThat(RejectReason.fromCode(reason.code())).isSameAs(reason);
    }
  }

  @Test
  void unknownCodeIsRejected() {
    assertThatThrownBy(() -> RejectReason.fromCode("BAD_ENVELOPE"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RejectReason.fromCode(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
