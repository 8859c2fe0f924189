package dev.channelanalytics.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiAccessTest {
  @TempDir Path dir;

  private static final String ADMIN = "admin-token-0123456789abcdef";
  private static final String VIEWER = "viewer-token-0123456789abcdef";

  private ChannelConfig config(Map<String, String> env) {
    return ChannelConfig.load(null, dir, env, new Properties());
  }

  private Path tokensFile(String json) throws Exception {
    Path file = dir.resolve("tokens.json");
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, json);
    return file;
  }

  @Test
  void eachRoleMayDoWhatItsRoleAllowsAndNothingMore() throws Exception {
    Path file =
        tokensFile(
            "{\"tokens\":[{\"name\":\"ops\",\"token\":\""
                + ADMIN
                + "\",\"role\":\"admin\"},{\"name\":\"partner\",\"sha256\":\""
                + ApiAccess.digest(VIEWER)
                + "\",\"role\":\"viewer\",\"products\":[\"game\"]}]}");
    ApiAccess access = ApiAccess.from(config(Map.of("CHANNEL_API_TOKENS_FILE", file.toString())));

    ApiAccess.Decision admin = access.decide("Bearer " + ADMIN, ApiRole.ADMIN);
    assertThat(admin.status()).isEqualTo(200);
    assertThat(admin.grant().name()).isEqualTo("ops");
    assertThat(admin.grant().sees("anything")).isTrue();
    assertThat(access.decide("bearer " + ADMIN, ApiRole.VIEWER).allowed()).isTrue();

    ApiAccess.Decision viewer = access.decide("Bearer " + VIEWER, ApiRole.VIEWER);
    assertThat(viewer.allowed()).isTrue();
    assertThat(viewer.grant().sees("game")).isTrue();
    assertThat(viewer.grant().sees("video")).isFalse();
    ApiAccess.Decision tooLow = access.decide("Bearer " + VIEWER, ApiRole.ADMIN);
    assertThat(tooLow.status()).isEqualTo(403);
    assertThat(tooLow.error()).contains("partner").contains("viewer").doesNotContain(VIEWER);

    assertThat(access.decide(null, ApiRole.VIEWER).status()).isEqualTo(401);
    assertThat(access.decide("Bearer wrong-token-0123456789abc", ApiRole.VIEWER).status())
        .isEqualTo(401);
    assertThat(access.decide("Basic " + ADMIN, ApiRole.VIEWER).status()).isEqualTo(401);
    assertThat(access.decide("Bearer " + ADMIN + "x", ApiRole.VIEWER).status()).isEqualTo(401);
  }

  @Test
  void anAnonymousViewerReadsButNeverActsAndAWrongTokenIsNotDowngradedToAnonymous() {
    ApiAccess access = ApiAccess.of(Map.of(), ApiRole.VIEWER);
    ApiAccess.Decision read = access.decide(null, ApiRole.VIEWER);
    assertThat(read.allowed()).isTrue();
    assertThat(read.grant().sees("any")).isTrue();
    assertThat(access.decide("", ApiRole.ADMIN).status()).isEqualTo(401);
    assertThat(access.decide("Bearer not-a-known-token-at-all", ApiRole.VIEWER).status())
        .isEqualTo(401);
    assertThat(access.anonymousMay(ApiRole.VIEWER)).isTrue();
    assertThat(access.anonymousMay(ApiRole.ADMIN)).isFalse();
    assertThat(
            ApiAccess.of(Map.of(ADMIN, new ApiAccess.Grant("a", ApiRole.ADMIN, Set.of())), null)
                .decide(null, ApiRole.VIEWER)
                .status())
        .isEqualTo(401);
  }

  @Test
  void configurationsUnderWhichNobodyOrEverybodyCouldActAreRefused() throws Exception {
    assertThatThrownBy(() -> ApiAccess.from(config(Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("nobody could read the reports");
    assertThatThrownBy(() -> ApiAccess.from(config(Map.of("CHANNEL_API_ANONYMOUS_ROLE", "admin"))))
        .hasMessageContaining("admin actions always need a token");
    assertThatThrownBy(() -> ApiAccess.from(config(Map.of("CHANNEL_API_ANONYMOUS_ROLE", "all"))))
        .hasMessageContaining("must be none or viewer");
    assertThat(ApiAccess.from(config(Map.of("CHANNEL_API_ANONYMOUS_ROLE", "viewer")))).isNotNull();
  }

  @Test
  void aTokensFileEveryUserCanReadOrThatIsMalformedIsRefusedWithoutShowingATokenInTheError()
      throws Exception {
    Path file =
        tokensFile(
            "{\"tokens\":[{\"name\":\"ops\",\"token\":\"" + ADMIN + "\",\"role\":\"admin\"}]}");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    Map<String, String> env = Map.of("CHANNEL_API_TOKENS_FILE", file.toString());
    assertThatThrownBy(() -> ApiAccess.from(config(env)))
        .hasMessageContaining("readable by every user")
        .hasMessageContaining("chmod 600");

    for (String bad :
        new String[] {
          "{\"tokens\":[{\"name\":\"ops\",\"token\":\"short\",\"role\":\"admin\"}]}",
          "{\"tokens\":[{\"name\":\"ops\",\"token\":\"" + ADMIN + "\",\"role\":\"root\"}]}",
          "{\"tokens\":[{\"token\":\"" + ADMIN + "\",\"role\":\"admin\"}]}",
          "{\"tokens\":[{\"name\":\"a\",\"token\":\""
              + ADMIN
              + "\",\"role\":\"admin\"},{\"name\":\"b\",\"token\":\""
              + ADMIN
              + "\",\"role\":\"viewer\"}]}",
          "{\"tokens\":[{\"name\":\"ops\",\"token\":\""
              + ADMIN
              + "\",\"role\":\"viewer\",\"products\":[]}]}",
          "[]",
          "not json"
        }) {
      tokensFile(bad);
      assertThatThrownBy(() -> ApiAccess.from(config(env)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(ADMIN));
    }
  }

  @Test
  void theLocalTokensFileIsCreatedOwnerOnlyOnceAndTheCommandFindsItsAdminToken() throws Exception {
    Path file = dir.resolve("state/api-tokens.json");
    assertThat(ApiAccess.createLocalTokens(file)).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    String before = Files.readString(file);
    assertThat(ApiAccess.createLocalTokens(file)).isFalse();
    assertThat(Files.readString(file)).isEqualTo(before);

    ChannelConfig config = config(Map.of("CHANNEL_API_TOKENS_FILE", file.toString()));
    String token = ApiAccess.clientToken(config);
    assertThat(token).hasSizeGreaterThanOrEqualTo(ApiAccess.MIN_TOKEN_LENGTH);
    assertThat(ApiAccess.from(config).decide("Bearer " + token, ApiRole.ADMIN).allowed()).isTrue();
    assertThat(
            ApiAccess.clientToken(
                config.with(Setting.API_TOKEN, "explicit-token-0123456789abcdef")))
        .isEqualTo("explicit-token-0123456789abcdef");
  }
}
