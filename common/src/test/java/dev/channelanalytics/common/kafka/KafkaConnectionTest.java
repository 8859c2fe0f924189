package dev.channelanalytics.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import dev.channelanalytics.common.config.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client settings every Kafka client of the system gets from the configuration. */
class KafkaConnectionTest {
  @TempDir Path dir;

  private ChannelConfig config(Map<String, String> env) {
    return ChannelConfig.load(null, dir, env, new Properties())
        .with(Setting.KAFKA_BOOTSTRAP_SERVERS, "k1:9093,k2:9093");
  }

  @Test
  void plainTextByDefault() {
    KafkaConnection kafka = KafkaConnection.of(config(Map.of()));
    assertThat(kafka.secured()).isFalse();
    assertThat(kafka.properties()).containsOnly(Map.entry("bootstrap.servers", "k1:9093,k2:9093"));
    assertThat(kafka.sparkOptions())
        .containsOnly(Map.entry("kafka.bootstrap.servers", "k1:9093,k2:9093"));
  }

  @Test
  void scramAndPlainOverTlsWithAPemOrPkcs12Truststore() throws Exception {
    Path pem = dir.resolve("ca.pem");
    Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n");
    KafkaConnection scram =
        KafkaConnection.of(
            config(
                Map.of(
                    "CHANNEL_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                    "CHANNEL_KAFKA_SASL_USERNAME", "pipeline",
                    "CHANNEL_KAFKA_SASL_PASSWORD", "pa\"ss",
                    "CHANNEL_KAFKA_SSL_TRUSTSTORE", "ca.pem")));
    assertThat(scram.securityProperties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"pipeline\" password=\"pa\\\"ss\";")
        .containsEntry("ssl.truststore.type", "PEM")
        .containsEntry("ssl.truststore.location", pem.toString());
    assertThat(scram.sparkOptions()).containsEntry("kafka.security.protocol", "SASL_SSL");
    assertThat(scram.toString()).contains("SASL_SSL").doesNotContain("pa\"ss");

    Path p12 = dir.resolve("truststore.p12");
    Files.writeString(p12, "x");
    KafkaConnection plain =
        KafkaConnection.of(
            config(
                Map.of(
                    "CHANNEL_KAFKA_SECURITY_PROTOCOL", "sasl_plaintext",
                    "CHANNEL_KAFKA_SASL_MECHANISM", "PLAIN",
                    "CHANNEL_KAFKA_SASL_USERNAME", "u",
                    "CHANNEL_KAFKA_SASL_PASSWORD", "p")));
    assertThat(plain.securityProperties().get("sasl.jaas.config"))
        .startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required");
    assertThat(plain.securityProperties()).doesNotContainKey("ssl.truststore.location");
    KafkaConnection tls =
        KafkaConnection.of(
            config(
                Map.of(
                    "CHANNEL_KAFKA_SECURITY_PROTOCOL", "SSL",
                    "CHANNEL_KAFKA_SSL_TRUSTSTORE", "truststore.p12",
                    "CHANNEL_KAFKA_SSL_TRUSTSTORE_PASSWORD", "tspw")));
    assertThat(tls.securityProperties())
        .containsEntry("ssl.truststore.type", "PKCS12")
        .containsEntry("ssl.truststore.password", "tspw")
        .doesNotContainKey("sasl.jaas.config");
  }

  @Test
  void aMissingLoginOrAnUnknownProtocolOrMechanismIsNamed() {
    assertThatThrownBy(
            () ->
                KafkaConnection.of(
                    config(
                        Map.of(
                            "CHANNEL_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                            "CHANNEL_KAFKA_SASL_USERNAME", "pipeline"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.sasl-password")
        .hasMessageContaining("CHANNEL_KAFKA_SASL_PASSWORD");
    assertThatThrownBy(
            () -> KafkaConnection.of(config(Map.of("CHANNEL_KAFKA_SECURITY_PROTOCOL", "TLS"))))
        .hasMessageContaining("kafka.security-protocol");
    assertThatThrownBy(
            () ->
                KafkaConnection.of(
                    config(
                        Map.of(
                            "CHANNEL_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                            "CHANNEL_KAFKA_SASL_MECHANISM", "GSSAPI",
                            "CHANNEL_KAFKA_SASL_USERNAME", "u",
                            "CHANNEL_KAFKA_SASL_PASSWORD", "p"))))
        .hasMessageContaining("kafka.sasl-mechanism");
    assertThatThrownBy(
            () ->
                KafkaConnection.of(
                    config(
                        Map.of(
                            "CHANNEL_KAFKA_SECURITY_PROTOCOL", "SSL",
                            "CHANNEL_KAFKA_SSL_TRUSTSTORE", "missing.pem"))))
        .hasMessageContaining("kafka.ssl-truststore");
  }
}
