package dev.channelanalytics.offline;

import dev.channelanalytics.common.security.WarehouseLogin;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * HiveServer2's login check for the local warehouse ({@code hive.server2.authentication=CUSTOM}):
 * only the configured user with the configured password ({@code offline.jdbc-password}) may run
 * SQL, so no other local user can read files (the keyring) or add jars through the warehouse.
 * HiveServer2 makes an instance per login by reflection; the expected login is set once by {@link
 * HiveWarehouse} before the server starts.
 */
public final class WarehousePasswordCheck implements PasswdAuthenticationProvider {
  private static volatile WarehouseLogin expected;

  /** The one login the warehouse of this JVM accepts. */
  static void expect(WarehouseLogin login) {
    expected = login;
  }

  @Override
  public void Authenticate(String user, String password) throws AuthenticationException {
    WarehouseLogin login = expected;
    if (login == null
        || user == null
        || password == null
        || !user.equals(login.user())
        || !MessageDigest.isEqual(
            password.getBytes(StandardCharsets.UTF_8),
            login.password().getBytes(StandardCharsets.UTF_8))) {
      throw new AuthenticationException(
          "wrong user or password for the warehouse (offline.jdbc-user, offline.jdbc-password)");
    }
  }
}
