package dev.channelanalytics.common.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may use the system's HTTP services (the report API and dashboard, the warehouse's and the
 * calibration service's run endpoints): bearer tokens from {@code api.tokens-file}, each with a
 * {@link ApiRole} and optionally the products it may see, and the role of a request without a token
 * ({@code api.anonymous-role}: {@code none} or {@code viewer}).
 *
 * <p>The tokens file is JSON:
 *
 * <pre>{@code
 * {"tokens": [
 *   {"name": "operations", "token": "…at least 20 characters…", "role": "admin"},
 *   {"name": "partner-a", "sha256": "<hex SHA-256 of the token>", "role": "viewer",
 *    "products": ["game"]}
 * ]}
 * }</pre>
 *
 * <p>Only SHA-256 digests of tokens are kept in memory; a file readable by every user of the
 * machine is refused. The decision itself ({@link #decide}) knows nothing of HTTP, so every server
 * answers 401 and 403 the same way.
 */
public final class ApiAccess {
  /** Fewest characters a token may have. */
  public static final int MIN_TOKEN_LENGTH = 20;

  /**
   * What one caller may do.
   *
   * @param name the token's name (for logs and errors; never the token), {@code anonymous} without
   * @param role what it may do
   * @param products the products it may see; empty: every product
   */
  public record Grant(String name, ApiRole role, Set<String> products) {
    public Grant {
      products = Set.copyOf(products);
    }

    /** True when this caller may see {@code product}'s numbers. */
    public boolean sees(String product) {
      return products.isEmpty() || products.contains(product);
    }
  }

  /**
   * The answer to one request.
   *
   * @param status 200 when allowed, 401 without a valid token, 403 for a role too low
   * @param grant the caller when allowed, else null
   * @param error why not, else null
   */
  public record Decision(int status, Grant grant, String error) {
    public boolean allowed() {
      return status == 200;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Grant> byDigest;
  private final Grant anonymous;

  private ApiAccess(Map<String, Grant> byDigest, ApiRole anonymousRole) {
    this.byDigest = Map.copyOf(byDigest);
    this.anonymous = anonymousRole == null ? null : new Grant("anonymous", anonymousRole, Set.of());
  }

  /**
   * The access of {@code config}.
   *
   * @throws ConfigException for an unreadable, world-readable or malformed tokens file, an unknown
   *     anonymous role, or a configuration under which nobody could use the services at all
   */
  public static ApiAccess from(ChannelConfig config) {
    String role = config.get(Setting.API_ANONYMOUS_ROLE);
    ApiRole anonymousRole = role.equals("none") ? null : ApiRole.fromCode(role);
    if (anonymousRole == null && !role.equals("none")) {
      throw new ConfigException(
          Setting.API_ANONYMOUS_ROLE.key() + " must be none or viewer, was '" + role + "'");
    }
    if (anonymousRole == ApiRole.ADMIN) {
      throw new ConfigException(
          Setting.API_ANONYMOUS_ROLE.key()
              + " must be none or viewer: admin actions always need a token");
    }
    Map<String, Grant> tokens = Map.of();
    if (!config.get(Setting.API_TOKENS_FILE).isBlank()) {
      tokens = readTokens(config.path(Setting.API_TOKENS_FILE));
    } else if (anonymousRole == null) {
      throw new ConfigException(
          Setting.API_ANONYMOUS_ROLE.key()
              + " is none and there is no "
              + Setting.API_TOKENS_FILE.key()
              + ": nobody could read the reports. Set "
              + Setting.API_TOKENS_FILE.key()
              + " (see docs/security.md), or "
              + Setting.API_ANONYMOUS_ROLE.key()
              + "=viewer on a machine only trusted users reach");
    }
    return new ApiAccess(tokens, anonymousRole);
  }

  /** Access by explicit tokens (token to grant) and anonymous role (null: none), for tests. */
  public static ApiAccess of(Map<String, Grant> tokens, ApiRole anonymousRole) {
    Map<String, Grant> byDigest = new LinkedHashMap<>();
    tokens.forEach((token, grant) -> byDigest.put(digest(token), grant));
    return new ApiAccess(byDigest, anonymousRole);
  }

  /** Whether a request without a token may do what {@code needed} may. */
  public boolean anonymousMay(ApiRole needed) {
    return anonymous != null && anonymous.role().allows(needed);
  }

  /**
   * Decides a request.
   *
   * @param authorization the request's {@code Authorization} header, or null
   * @param needed the role the request needs
   */
  public Decision decide(String authorization, ApiRole needed) {
    Grant grant;
    if (authorization == null || authorization.isBlank()) {
      if (anonymous == null) {
        return new Decision(401, null, "a bearer token is required (Authorization: Bearer TOKEN)");
      }
      if (!anonymous.role().allows(needed)) {
        return new Decision(
            401, null, "this needs the " + needed.code() + " role: send its bearer token");
      }
      return new Decision(200, anonymous, null);
    }
    String trimmed = authorization.trim();
    if (!trimmed.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return new Decision(401, null, "the Authorization header must be: Bearer TOKEN");
    }
    grant = byDigest.get(digest(trimmed.substring(7).trim()));
    if (grant == null) {
      return new Decision(401, null, "unknown or revoked token");
    }
    if (!grant.role().allows(needed)) {
      return new Decision(
          403,
          null,
          "token '"
              + grant.name()
              + "' has the "
              + grant.role().code()
              + " role; this needs "
              + needed.code());
    }
    return new Decision(200, grant, null);
  }

  /**
   * The token the {@code channel} command sends: {@code api.token} when set, else the first admin
   * token of a readable {@code api.tokens-file}, else empty (the command then sends none).
   */
  public static String clientToken(ChannelConfig config) {
    String token = config.get(Setting.API_TOKEN);
    if (!token.isBlank() || config.get(Setting.API_TOKENS_FILE).isBlank()) {
      return token;
    }
    Path file = config.path(Setting.API_TOKENS_FILE);
    if (!Files.isReadable(file)) {
      return "";
    }
    for (JsonNode t : tokenList(file)) {
      if ("admin".equals(t.path("role").asText()) && t.hasNonNull("token")) {
        return t.get("token").asText();
      }
    }
    return "";
  }

  /**
   * Creates {@code file} with one new random admin token, readable by its owner only (mode 0600)
   * from the moment it exists; an existing file is left as it is.
   *
   * @return true when the file was created
   */
  public static boolean createLocalTokens(Path file) {
    ObjectNode root = JSON.createObjectNode();
    root.putArray("tokens")
        .addObject()
        .put("name", "local-admin")
        .put("token", SecretFiles.randomToken(32))
        .put("role", "admin");
    try {
      return SecretFiles.create(
          file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Grant> readTokens(Path file) {
    SecretFiles.refuseWorldReadable(file, Setting.API_TOKENS_FILE);
    Map<String, Grant> byDigest = new LinkedHashMap<>();
    int i = 0;
    for (JsonNode t : tokenList(file)) {
      String where = file + ": tokens[" + i++ + "]";
      String name = t.path("name").asText("");
      if (name.isBlank()) {
        throw new ConfigException(where + " needs a name");
      }
      ApiRole role = ApiRole.fromCode(t.path("role").asText(""));
      if (role == null) {
        throw new ConfigException(where + " (" + name + "): role must be viewer or admin");
      }
      String digest;
      if (t.hasNonNull("token")) {
        String token = t.get("token").asText();
        if (token.length() < MIN_TOKEN_LENGTH || !token.equals(token.trim())) {
          throw new ConfigException(
              where
                  + " ("
                  + name
                  + "): a token needs at least "
                  + MIN_TOKEN_LENGTH
                  + " characters and no surrounding white space");
        }
        digest = digest(token);
      } else if (t.hasNonNull("sha256") && t.get("sha256").asText().matches("[0-9a-fA-F]{64}")) {
        digest = t.get("sha256").asText().toLowerCase(java.util.Locale.ROOT);
      } else {
        throw new ConfigException(
            where + " (" + name + "): give the token, or its SHA-256 as 64 hex digits in sha256");
      }
      Set<String> products = new LinkedHashSet<>();
      JsonNode list = t.path("products");
      if (!list.isMissingNode() && !list.isArray()) {
        throw new ConfigException(where + " (" + name + "): products must be a list");
      }
      list.forEach(p -> products.add(p.asText()));
      if (list.isArray() && products.isEmpty()) {
        throw new ConfigException(
            where + " (" + name + "): an empty products list; leave it out to allow every product");
      }
      if (byDigest.put(digest, new Grant(name, role, products)) != null) {
        throw new ConfigException(where + " (" + name + "): the same token is listed twice");
      }
    }
    return byDigest;
  }

  private static List<JsonNode> tokenList(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ConfigException(
          "cannot read " + Setting.API_TOKENS_FILE.key() + " " + file + ": " + e.getMessage());
    }
    if (root == null || !(root.get("tokens") instanceof ArrayNode tokens)) {
      throw new ConfigException(file + ": expected a JSON object with a \"tokens\" list");
    }
    List<JsonNode> out = new ArrayList<>();
    tokens.forEach(out::add);
    return out;
  }

  /** The hex SHA-256 of a token: what is kept and compared, never the token. */
  public static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
