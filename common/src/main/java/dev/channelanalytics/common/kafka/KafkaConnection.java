package dev.channelanalytics.common.kafka;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * How every Kafka client of the system reaches the brokers: their addresses and, in production, TLS
 * ({@code kafka.security-protocol} SSL or SASL_SSL, the brokers' CA in {@code
 * kafka.ssl-truststore}) and SASL ({@code kafka.sasl-mechanism} PLAIN, SCRAM-SHA-256 or
 * SCRAM-SHA-512 with a user and password). The parser, the sharder, calibration, the offline path
 * and the {@code channel} command all take their client settings from here, so no client is left on
 * plain text by accident.
 *
 * <p>The password travels only inside {@code sasl.jaas.config}, which Kafka's clients never log (a
 * password-typed setting); {@link #toString()} names no secret.
 */
public final class KafkaConnection implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final Set<String> PROTOCOLS =
      Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final Set<String> MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

  private final String bootstrapServers;
  private final TreeMap<String, String> security;

  private KafkaConnection(String bootstrapServers, Map<String, String> security) {
    this.bootstrapServers = bootstrapServers;
    this.security = new TreeMap<>(security);
  }

  /** Brokers reached with explicit client security settings (a test's admin, say). */
  public static KafkaConnection of(String bootstrapServers, Map<String, String> security) {
    return new KafkaConnection(bootstrapServers, security);
  }

  /** Brokers without TLS or SASL, as the local stack and the tests run them. */
  public static KafkaConnection plaintext(String bootstrapServers) {
    return new KafkaConnection(bootstrapServers, Map.of());
  }

  /**
   * The connection {@code config} describes.
   *
   * @throws ConfigException naming the setting that is wrong or missing
   */
  public static KafkaConnection of(ChannelConfig config) {
    String protocol = config.get(Setting.KAFKA_SECURITY_PROTOCOL).toUpperCase(Locale.ROOT);
    if (!PROTOCOLS.contains(protocol)) {
      throw new ConfigException(
          Setting.KAFKA_SECURITY_PROTOCOL.key()
              + " must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, was "
              + protocol);
    }
    Map<String, String> security = new TreeMap<>();
    if (!protocol.equals("PLAINTEXT")) {
      security.put("security.protocol", protocol);
    }
    if (protocol.startsWith("SASL_")) {
      String mechanism = config.get(Setting.KAFKA_SASL_MECHANISM).toUpperCase(Locale.ROOT);
      if (!MECHANISMS.contains(mechanism)) {
        throw new ConfigException(
            Setting.KAFKA_SASL_MECHANISM.key()
                + " must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, was "
                + mechanism);
      }
      String user = config.get(Setting.KAFKA_SASL_USERNAME);
      String password = config.get(Setting.KAFKA_SASL_PASSWORD);
      if (user.isBlank() || password.isEmpty()) {
        throw new ConfigException(
            protocol
                + " needs "
                + Setting.KAFKA_SASL_USERNAME.key()
                + " and "
                + Setting.KAFKA_SASL_PASSWORD.key()
                + " (a secret: "
                + Setting.KAFKA_SASL_PASSWORD.envName()
                + ")");
      }
      security.put("sasl.mechanism", mechanism);
      security.put(
          "sasl.jaas.config",
          (mechanism.equals("PLAIN")
                  ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                  : "org.apache.kafka.common.security.scram.ScramLoginModule")
              + " required username=\""
              + jaasQuoted(user)
              + "\" password=\""
              + jaasQuoted(password)
              + "\";");
    }
    if (protocol.endsWith("SSL") && !config.get(Setting.KAFKA_SSL_TRUSTSTORE).isBlank()) {
      Path truststore = config.path(Setting.KAFKA_SSL_TRUSTSTORE);
      if (!Files.isReadable(truststore)) {
        throw new ConfigException(
            Setting.KAFKA_SSL_TRUSTSTORE.key() + ": not readable: " + truststore);
      }
      String name = truststore.getFileName().toString().toLowerCase(Locale.ROOT);
      boolean pem = name.endsWith(".pem") || name.endsWith(".crt");
      security.put("ssl.truststore.location", truststore.toString());
      security.put("ssl.truststore.type", pem ? "PEM" : "PKCS12");
      if (!pem && !config.get(Setting.KAFKA_SSL_TRUSTSTORE_PASSWORD).isEmpty()) {
        security.put("ssl.truststore.password", config.get(Setting.KAFKA_SSL_TRUSTSTORE_PASSWORD));
      }
    }
    return new KafkaConnection(config.kafkaBootstrapServers(), security);
  }

  private static String jaasQuoted(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The client settings beyond the brokers' addresses (empty on plain text). */
  public Map<String, String> securityProperties() {
    return Collections.unmodifiableMap(security);
  }

  /** The security settings a client of Spark's Kafka source takes: each prefixed {@code kafka.}. */
  public Map<String, String> sparkOptions() {
    Map<String, String> out = new TreeMap<>();
    out.put("kafka.bootstrap.servers", bootstrapServers);
    security.forEach((k, v) -> out.put("kafka." + k, v));
    return out;
  }

  /** Client settings: the brokers and the security settings; callers add their own. */
  public Properties properties() {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrapServers);
    security.forEach(p::setProperty);
    return p;
  }

  /** True when the clients use TLS or SASL. */
  public boolean secured() {
    return !security.isEmpty();
  }

  @Override
  public String toString() {
    return bootstrapServers
        + " ("
        + security.getOrDefault("security.protocol", "PLAINTEXT")
        + (security.containsKey("sasl.mechanism") ? " " + security.get("sasl.mechanism") : "")
        + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaConnection k
        && k.bootstrapServers.equals(bootstrapServers)
        && k.security.equals(security);
  }

  @Override
  public int hashCode() {
    return bootstrapServers.hashCode() * 31 + security.hashCode();
  }
}
