package dev.channelanalytics.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the system authenticates to Elasticsearch, from the configuration. */
class ElasticsearchEndpointTest {
  @TempDir Path dir;

  private ElasticsearchEndpoint endpoint(Map<String, String> env) {
    return ElasticsearchEndpoint.of(ChannelConfig.load(null, dir, env, new Properties()));
  }

  @Test
  void basicAuthOrAnApiKeyOrNothing() {
    assertThat(endpoint(Map.of()).authorization()).isNull();
    ElasticsearchEndpoint basic =
        endpoint(
            Map.of(
                "CHANNEL_ELASTICSEARCH_URL", "https://es.example:9200",
                "CHANNEL_ELASTICSEARCH_USERNAME", "pipeline",
                "CHANNEL_ELASTICSEARCH_PASSWORD", "s3cret"));
    assertThat(basic.authorization())
        .isEqualTo(
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("pipeline:s3cret".getBytes(StandardCharsets.UTF_8)));
    assertThat(basic.toString()).contains("pipeline").doesNotContain("s3cret");
    ElasticsearchEndpoint key =
        endpoint(Map.of("CHANNEL_ELASTICSEARCH_API_KEY", "a2V5OnNlY3JldA=="));
    assertThat(key.authorization()).isEqualTo("ApiKey a2V5OnNlY3JldA==");
    assertThat(key.toString()).doesNotContain("a2V5OnNlY3JldA==");
  }

  @Test
  void aUserWithoutPasswordBothLoginsOrABadCaFileAreNamed() throws Exception {
    assertThatThrownBy(() -> endpoint(Map.of("CHANNEL_ELASTICSEARCH_USERNAME", "u")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CHANNEL_ELASTICSEARCH_PASSWORD");
    assertThatThrownBy(
            () ->
                endpoint(
                    Map.of(
                        "CHANNEL_ELASTICSEARCH_USERNAME", "u",
                        "CHANNEL_ELASTICSEARCH_PASSWORD", "p",
                        "CHANNEL_ELASTICSEARCH_API_KEY", "k")))
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> endpoint(Map.of("CHANNEL_ELASTICSEARCH_CA_FILE", "missing.pem")))
        .hasMessageContaining("elasticsearch.ca-file");
    Files.writeString(dir.resolve("empty.pem"), "");
    ElasticsearchEndpoint empty = endpoint(Map.of("CHANNEL_ELASTICSEARCH_CA_FILE", "empty.pem"));
    assertThatThrownBy(empty::sslContext).hasMessageContaining("no certificate");
    assertThat(endpoint(Map.of()).sslContext()).isNull();
  }
}
