package dev.channelanalytics.common.config;

import dev.channelanalytics.common.contract.Keyring;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The typed configuration of the whole system, loaded in one place.
 *
 * <p>Values come, in rising priority, from {@link Setting} defaults, a properties file, environment
 * variables and system properties. Relative paths are resolved against a base directory (the
 * installation's home). Secret values are never part of {@link #describe()} or {@link #toString()}.
 */
public final class ChannelConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<Setting, String> values;
  private final Map<Setting, String> sources;
  private final Path baseDir;

  private ChannelConfig(Map<Setting, String> values, Map<Setting, String> sources, Path baseDir) {
    this.values = values;
    this.sources = sources;
    this.baseDir = baseDir;
  }

  /**
   * The configuration file a job's {@code main} was given: {@code --config FILE}, else {@code
   * $CHANNEL_CONFIG}, else {@code config/local/channel.properties} (relative to the working
   * directory).
   */
  public static Path configFileOf(String[] args) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--config")) {
        return Path.of(args[i + 1]);
      }
    }
    String env = System.getenv("CHANNEL_CONFIG");
    return Path.of(env != null ? env : "config/local/channel.properties");
  }

  /** Loads the configuration from the process environment and system properties. */
  public static ChannelConfig load(Path configFile, Path baseDir) {
    return load(configFile, baseDir, System.getenv(), System.getProperties());
  }

  /** Keys of earlier releases and the settings that replaced them, for a helpful error. */
  private static final Map<String, Setting> RENAMED =
      Map.of(
          "local.state-dir", Setting.STATE_DIR,
          "local.parser.rest-port", Setting.PARSER_REST_PORT,
          "local.sharder.ui-port", Setting.SHARDER_UI_PORT,
          "local.calculator.port", Setting.CALCULATOR_PORT);

  /**
   * Loads the configuration from explicit sources, so tests need not touch the process environment.
   *
   * @param configFile a properties file, or null for defaults only
   */
  public static ChannelConfig load(
      Path configFile, Path baseDir, Map<String, String> env, Properties systemProperties) {
    Properties file = new Properties();
    if (configFile != null) {
      try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
        file.load(reader);
      } catch (IOException e) {
        throw new ConfigException("cannot read configuration file " + configFile + ": " + e);
      }
      Set<String> known =
          java.util.Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toSet());
      Set<String> unknown = new TreeSet<>(file.stringPropertyNames());
      unknown.removeAll(known);
      if (!unknown.isEmpty()) {
        StringBuilder renamed = new StringBuilder();
        for (String key : unknown) {
          Setting now = RENAMED.get(key);
          if (now != null) {
            renamed
                .append(renamed.length() == 0 ? " (" : ", ")
                .append(key)
                .append(" is now ")
                .append(now.key());
          }
        }
        throw new ConfigException(
            "unknown keys in "
                + configFile
                + ": "
                + unknown
                + (renamed.length() == 0 ? "" : renamed + ")"));
      }
    }
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    Map<Setting, String> sources = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String value = s.defaultValue();
      String source = "default";
      if (file.containsKey(s.key())) {
        value = file.getProperty(s.key()).trim();
        source = String.valueOf(configFile);
      }
      String fromEnv = env.get(s.envName());
      if (fromEnv != null) {
        value = fromEnv.trim();
        source = "env " + s.envName();
      }
      String fromProperty = systemProperties.getProperty(s.propertyName());
      if (fromProperty != null) {
        value = fromProperty.trim();
        source = "-D" + s.propertyName();
      }
      values.put(s, value);
      sources.put(s, source);
    }
    ChannelConfig config = new ChannelConfig(values, sources, baseDir.toAbsolutePath().normalize());
    config.validate();
    return config;
  }

  /** Parses every typed value once so that a bad value fails at start-up, naming its source. */
  private void validate() {
    for (Setting s : Setting.values()) {
      if (s.key().endsWith(".partitions")
          || s.key().endsWith(".port")
          || s.key().endsWith("-port")
          || s.key().endsWith(".parallelism")
          || s.key().endsWith("-attempts")
          || s.key().endsWith("-entries")
          || s.key().endsWith("-shards")
          || s.key().endsWith("-replicas")
          || s.key().endsWith("-per-trigger")
          || s.key().endsWith(".rate")
          || s == Setting.TOPIC_REPLICATION_FACTOR) {
        intValue(s);
      }
      if (s.defaultValue().startsWith("PT")) {
        duration(s);
      }
    }
    reportTimeZone();
    elasticsearchUrl();
  }

  /**
   * The effective value. A secret setting whose value is {@code file:PATH} is read from that file
   * (trailing white space removed; a file every user can read is refused), so secrets need be
   * neither in a configuration file nor in an environment.
   */
  public String get(Setting setting) {
    Path file = secretFile(setting);
    if (file != null) {
      try {
        dev.channelanalytics.common.security.SecretFiles.refuseWorldReadable(file, setting);
        return Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new ConfigException(
            setting.key() + ": cannot read the secret from " + file + " (" + e + ")");
      }
    }
    return values.get(setting);
  }

  /** The prefix of a secret setting's value that names the file holding it. */
  public static final String SECRET_FILE = "file:";

  /** The file a secret setting names ({@code file:PATH}), or null when its value is inline. */
  public Path secretFile(Setting setting) {
    String value = values.get(setting);
    return setting.secret() && value.startsWith(SECRET_FILE)
        ? baseDir.resolve(value.substring(SECRET_FILE.length())).normalize()
        : null;
  }

  /** A copy with one value replaced, for tests and for commands that take a flag. */
  public ChannelConfig with(Setting setting, String value) {
    Map<Setting, String> v = new EnumMap<>(values);
    Map<Setting, String> src = new EnumMap<>(sources);
    v.put(setting, value);
    src.put(setting, "override");
    ChannelConfig config = new ChannelConfig(v, src, baseDir);
    config.validate();
    return config;
  }

  public int intValue(Setting setting) {
    String raw = values.get(setting);
    try {
      int value = Integer.parseInt(raw);
      if (value < 0) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw invalid(setting, "a non-negative integer");
    }
  }

  public String kafkaBootstrapServers() {
    return get(Setting.KAFKA_BOOTSTRAP_SERVERS);
  }

  public Topics topics() {
    return new Topics(
        get(Setting.TOPIC_RAW_LOGS),
        get(Setting.TOPIC_PRODUCT_CONFIG),
        get(Setting.TOPIC_PARSED_EVENTS),
        get(Setting.TOPIC_DEAD_LETTERS));
  }

  public URI elasticsearchUrl() {
    try {
      URI uri = URI.create(get(Setting.ELASTICSEARCH_URL));
      if (uri.getHost() == null || uri.getScheme() == null) {
        throw new IllegalArgumentException();
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw invalid(Setting.ELASTICSEARCH_URL, "an http(s) URL");
    }
  }

  public ZoneId reportTimeZone() {
    try {
      return ZoneId.of(get(Setting.REPORT_TIME_ZONE));
    } catch (RuntimeException e) {
      throw invalid(Setting.REPORT_TIME_ZONE, "a time zone id such as UTC or Asia/Shanghai");
    }
  }

  public Duration unknownAppKeyHold() {
    return duration(Setting.UNKNOWN_APP_KEY_HOLD);
  }

  /** A non-negative ISO-8601 duration setting such as {@code PT10M}. */
  public Duration duration(Setting setting) {
    try {
      Duration d = Duration.parse(get(setting));
      if (d.isNegative()) {
        throw new DateTimeParseException("negative", "", 0);
      }
      return d;
    } catch (DateTimeParseException e) {
      throw invalid(setting, "an ISO-8601 duration such as PT10M");
    }
  }

  /**
   * Every effective value, secrets included, for handing this configuration to a child process in a
   * file only its user can read: a child's environment and command line hold no secret ({@link
   * #removeSecrets}), since other users of the machine can read both.
   */
  public java.util.Properties properties() {
    java.util.Properties p = new java.util.Properties();
    for (Setting s : Setting.values()) {
      p.setProperty(s.key(), values.get(s));
    }
    return p;
  }

  /**
   * Removes every secret setting's variable (say {@code CHANNEL_KEYRING_JSON}) from a child
   * process's environment before it starts; the child reads its secrets from its configuration file
   * ({@link #properties}).
   */
  public static void removeSecrets(Map<String, String> childEnvironment) {
    for (Setting s : Setting.values()) {
      if (s.secret()) {
        childEnvironment.remove(s.envName());
      }
    }
  }

  /** Resolves a path setting against the base directory. */
  public Path path(Setting setting) {
    return baseDir.resolve(get(setting)).normalize();
  }

  public Path baseDir() {
    return baseDir;
  }

  /**
   * The one rule for a component's state folder: {@code <state.dir>/<component>} against the base
   * directory (say {@code .local/calculator}). The jobs' defaults and the local stack's folders all
   * come from here, so a job started by hand finds the state {@code channel up} left, and back.
   */
  public Path stateDir(String component) {
    return path(Setting.STATE_DIR).resolve(component).normalize();
  }

  /**
   * Where a component keeps state a deployment may move, say to a shared file system: the value of
   * {@code override} when set (a URI when it contains {@code ://}, else a path against the base
   * directory), else {@link #stateDir}{@code (component)}.
   */
  public URI stateLocation(Setting override, String component) {
    String value = get(override);
    if (value.isEmpty()) {
      return stateDir(component).toUri();
    }
    try {
      return value.contains("://") ? URI.create(value) : baseDir.resolve(value).normalize().toUri();
    } catch (IllegalArgumentException e) {
      throw invalid(override, "a folder or a URI");
    }
  }

  /**
   * {@link #stateLocation} for state that must be on this machine's disk (an embedded database).
   */
  public Path localStateDir(Setting override, String component) {
    URI location = stateLocation(override, component);
    if (!"file".equals(location.getScheme())) {
      throw invalid(override, "a local folder");
    }
    return Path.of(location);
  }

  /**
   * The AES keyring: the inline JSON when set, else the keyring file.
   *
   * @throws ConfigException when neither is configured or the keyring is invalid; the message never
   *     contains key material
   */
  public Keyring keyring() {
    String inline = get(Setting.KEYRING_JSON);
    try {
      if (!inline.isEmpty()) {
        return Keyring.fromJson(inline);
      }
      if (get(Setting.KEYRING_FILE).isEmpty()) {
        throw new ConfigException(
            "no keyring configured: set "
                + Setting.KEYRING_FILE.key()
                + " (or "
                + Setting.KEYRING_FILE.envName()
                + ") to a file, or "
                + Setting.KEYRING_JSON.envName()
                + " to the keyring JSON");
      }
      return Keyring.load(path(Setting.KEYRING_FILE));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "invalid keyring (" + sources.get(keyringSetting()) + "): " + e.getMessage());
    }
  }

  private Setting keyringSetting() {
    return get(Setting.KEYRING_JSON).isEmpty() ? Setting.KEYRING_FILE : Setting.KEYRING_JSON;
  }

  /** Every setting with its value and where it came from; secrets masked. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (Setting s : Setting.values()) {
      String v = values.get(s);
      // A secret is masked; the file a secret is read from is no secret and is shown.
      String shown = s.secret() && !v.isEmpty() && !v.startsWith(SECRET_FILE) ? "****" : v;
      out.append(String.format("%-38s %-32s (%s)%n", s.key(), shown, sources.get(s)));
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "ChannelConfig[" + kafkaBootstrapServers() + ", " + get(Setting.ELASTICSEARCH_URL) + "]";
  }

  private ConfigException invalid(Setting s, String expected) {
    return new ConfigException(
        s.key()
            + " must be "
            + expected
            + ", was '"
            + (s.secret() ? "****" : values.get(s))
            + "' (from "
            + sources.get(s)
            + ")");
  }

  /** The contract's topic names, as configured. */
  public record Topics(
      String rawLogs, String productConfig, String parsedEvents, String deadLetters)
      implements Serializable {}
}
