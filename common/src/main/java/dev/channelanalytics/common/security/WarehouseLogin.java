package dev.channelanalytics.common.security;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.io.Serializable;

/**
 * How the offline path and calibration log in to HiveServer2 ({@code offline.jdbc-user}, {@code
 * offline.jdbc-password}). With a password, the local warehouse accepts no other login, so no local
 * user can run SQL that reads files (the keyring) or adds jars through it.
 *
 * @param user the user
 * @param password the password, or empty where the warehouse asks for none
 */
public record WarehouseLogin(String user, String password) implements Serializable {
  /** The login {@code config} gives. */
  public static WarehouseLogin of(ChannelConfig config) {
    return new WarehouseLogin(
        config.get(Setting.OFFLINE_JDBC_USER), config.get(Setting.OFFLINE_JDBC_PASSWORD));
  }

  /** The login of a warehouse that asks for no password (tests of the offline path). */
  public static WarehouseLogin none() {
    return new WarehouseLogin("channel", "");
  }

  /** True when a password is set, so the warehouse requires it. */
  public boolean required() {
    return !password.isEmpty();
  }

  @Override
  public String toString() {
    return "WarehouseLogin[" + user + (required() ? ", with a password" : "") + "]";
  }
}
