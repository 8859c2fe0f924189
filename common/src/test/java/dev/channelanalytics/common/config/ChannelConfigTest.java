package dev.channelanalytics.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChannelConfigTest {
  @TempDir Path dir;

  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @Test
  void defaultsApplyWithoutAnySource() {
    ChannelConfig config = ChannelConfig.load(null, dir, Map.of(), new Properties());
    assertThat(config.kafkaBootstrapServers()).isEqualTo("localhost:9092");
    assertThat(config.topics().rawLogs()).isEqualTo("raw-logs");
    assertThat(config.reportTimeZone()).isEqualTo(ZoneId.of("UTC"));
    assertThat(config.unknownAppKeyHold()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void systemPropertyBeatsEnvironmentBeatsFile() throws Exception {
    Path file = dir.resolve("channel.properties");
    Files.writeString(file, "kafka.bootstrap-servers=file:1\ntopic.raw-logs=file-raw\n");
    Properties props = new Properties();
    props.setProperty("channel.kafka.bootstrap-servers", "prop:3");
    ChannelConfig config =
        ChannelConfig.load(
            file,
            dir,
            Map.of("CHANNEL_KAFKA_BOOTSTRAP_SERVERS", "env:2", "CHANNEL_TOPIC_RAW_LOGS", "env-raw"),
            props);
    assertThat(config.kafkaBootstrapServers()).isEqualTo("prop:3");
    assertThat(config.topics().rawLogs()).isEqualTo("env-raw");
    assertThat(config.describe()).contains("-Dchannel.kafka.bootstrap-servers");
  }

  @Test
  void unknownKeyInFileIsAnError() throws Exception {
    Path file = dir.resolve("channel.properties");
    Files.writeString(file, "kafka.bootstrap-server=typo:1\n");
    assertThatThrownBy(() -> ChannelConfig.load(file, dir, Map.of(), new Properties()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.bootstrap-server");
  }

  @Test
  void badValueNamesKeyAndSource() {
    assertThatThrownBy(
            () ->
                ChannelConfig.load(
                    null, dir, Map.of("CHANNEL_LOCAL_KAFKA_PORT", "ninety"), new Properties()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("local.kafka.port")
        .hasMessageContaining("CHANNEL_LOCAL_KAFKA_PORT");
  }

  @Test
  void keyringFromInlineEnvironmentIsNeverDescribed() {
    String json = "{\"k1\":\"" + KEY + "\"}";
    ChannelConfig config =
        ChannelConfig.load(null, dir, Map.of("CHANNEL_KEYRING_JSON", json), new Properties());
    assertThat(config.keyring().keyIds()).containsExactly("k1");
    assertThat(config.describe()).doesNotContain(KEY).contains("****");
    assertThat(config.toString()).doesNotContain(KEY);
  }

  @Test
  void aSecretNamingAFileIsReadFromItShownAsItsPathAndRefusedWhenEveryUserCanReadIt()
      throws Exception {
    Path file = dir.resolve("kafka-password");
    dev.channelanalytics.common.security.SecretFiles.create(file, "s3cret-from-a-file\n");
    ChannelConfig config =
        ChannelConfig.load(
            null,
            dir,
            Map.of("CHANNEL_KAFKA_SASL_PASSWORD", "file:kafka-password"),
            new Properties());
    assertThat(config.get(Setting.KAFKA_SASL_PASSWORD)).isEqualTo("s3cret-from-a-file");
    assertThat(config.secretFile(Setting.KAFKA_SASL_PASSWORD)).isEqualTo(file);
    assertThat(config.describe())
        .contains("file:kafka-password")
        .doesNotContain("s3cret-from-a-file");
    // Children get the reference, not the secret.
    assertThat(config.properties().getProperty("kafka.sasl-password"))
        .isEqualTo("file:kafka-password");
    // Not a secret setting: "file:" is just a value.
    assertThat(
            ChannelConfig.load(
                    null, dir, Map.of("CHANNEL_TOPIC_RAW_LOGS", "file:x"), new Properties())
                .get(Setting.TOPIC_RAW_LOGS))
        .isEqualTo("file:x");
    java.nio.file.Files.setPosixFilePermissions(
        file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> config.get(Setting.KAFKA_SASL_PASSWORD))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("readable by every user");
    java.nio.file.Files.delete(file);
    assertThatThrownBy(() -> config.get(Setting.KAFKA_SASL_PASSWORD))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.sasl-password");
  }

  @Test
  void keyringFileResolvesAgainstBaseDir() throws Exception {
    Files.writeString(dir.resolve("keys.json"), "{\"k9\":\"" + KEY + "\"}");
    ChannelConfig config =
        ChannelConfig.load(
            null, dir, Map.of("CHANNEL_KEYRING_FILE", "keys.json"), new Properties());
    assertThat(config.keyring().keyIds()).containsExactly("k9");
  }

  @Test
  void missingKeyringSaysHowToConfigureIt() {
    ChannelConfig config = ChannelConfig.load(null, dir, Map.of(), new Properties());
    assertThatThrownBy(config::keyring)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CHANNEL_KEYRING_FILE");
  }

  @Test
  void invalidKeyringErrorDoesNotLeakTheKey() {
    String shortKey = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    ChannelConfig config =
        ChannelConfig.load(
            null,
            dir,
            Map.of("CHANNEL_KEYRING_JSON", "{\"k1\":\"" + shortKey + "\"}"),
            new Properties());
    assertThatThrownBy(config::keyring)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("k1")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(shortKey));
  }

  @Test
  void componentStateLivesUnderStateDirAgainstTheBaseDirectory() {
    ChannelConfig config = ChannelConfig.load(null, dir, Map.of(), new Properties());
    assertThat(config.stateDir("calculator")).isEqualTo(dir.resolve(".local/calculator"));
    assertThat(config.with(Setting.STATE_DIR, "/srv/state").stateDir("parser"))
        .isEqualTo(Path.of("/srv/state/parser"));
  }

  @Test
  void stateLocationFollowsItsOverrideAsUriOrPath() {
    ChannelConfig config = ChannelConfig.load(null, dir, Map.of(), new Properties());
    assertThat(config.stateLocation(Setting.PARSER_CHECKPOINT_DIR, "parser/checkpoints"))
        .isEqualTo(dir.resolve(".local/parser/checkpoints").toUri());
    assertThat(
            config
                .with(Setting.PARSER_CHECKPOINT_DIR, "hdfs://nn:8020/channel/parser")
                .stateLocation(Setting.PARSER_CHECKPOINT_DIR, "parser/checkpoints"))
        .isEqualTo(URI.create("hdfs://nn:8020/channel/parser"));
    assertThat(
            config
                .with(Setting.CALCULATOR_STATE_DIR, "var/quartz")
                .localStateDir(Setting.CALCULATOR_STATE_DIR, "calculator"))
        .isEqualTo(dir.resolve("var/quartz"));
  }

  @Test
  void stateThatMustBeLocalRefusesARemoteUri() {
    ChannelConfig config =
        ChannelConfig.load(null, dir, Map.of(), new Properties())
            .with(Setting.CALCULATOR_STATE_DIR, "s3a://bucket/quartz");
    assertThatThrownBy(() -> config.localStateDir(Setting.CALCULATOR_STATE_DIR, "calculator"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("calculator.state-dir");
  }

  @Test
  void keysOfEarlierReleasesAreRefusedNamingTheirNewNames() throws Exception {
    Path file = dir.resolve("old.properties");
    Files.writeString(file, "local.state-dir=/tmp/x\nlocal.calculator.port=9\n");
    assertThatThrownBy(() -> ChannelConfig.load(file, dir, Map.of(), new Properties()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("local.state-dir is now state.dir")
        .hasMessageContaining("local.calculator.port is now calculator.port");
  }
}
