package dev.channelanalytics.common.security;

import java.util.Locale;

/**
 * What a caller of the system's HTTP services may do: a {@link #VIEWER} reads reports and status,
 * an {@link #ADMIN} also starts work (calibrations, offline runs). Roles are ordered: an admin may
 * do everything a viewer may.
 */
public enum ApiRole {
  VIEWER,
  ADMIN;

  /** True when this role may do what {@code needed} may. */
  public boolean allows(ApiRole needed) {
    return compareTo(needed) >= 0;
  }

  /** The role's name in configuration and token files: {@code viewer}, {@code admin}. */
  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code code}, or null when there is none. */
  public static ApiRole fromCode(String code) {
    for (ApiRole r : values()) {
      if (r.code().equals(code)) {
        return r;
      }
    }
    return null;
  }
}
