package dev.channelanalytics.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.simulation.SimulatedRecord;
import dev.channelanalytics.testing.EmbeddedElasticsearch;
import dev.channelanalytics.testing.EmbeddedKafka;
import dev.channelanalytics.testing.PipelineFixture;
import dev.channelanalytics.testing.ReportApiAnswers;
import dev.channelanalytics.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-time path as in production: a Kafka broker that speaks only SASL_SSL (the pipeline's
 * clients log in with SCRAM-SHA-512 and trust the broker through a CA file) and an Elasticsearch
 * with its own security on (HTTPS with a certificate of a test CA, a file-realm user with basic
 * auth), both started by the test with certificates made for it. The parser, the sharder and the
 * reporting service, each in its own JVM as the local stack runs them, reach both through their
 * configuration alone, and the API's minute, hour and day answers are exactly the reference
 * model's; neither server answers a client without TLS or without credentials.
 */
class SecuredPipelineITCase {
  private static final Duration SPAN = Duration.ofHours(8);

  @TempDir Path dir;

  @Test
  void overSaslSslKafkaAndHttpsElasticsearchWithBasicAuthTheApiEqualsTheModel() throws Exception {
    // Elasticsearch runs as an unprivileged user under root and must be able to enter the state.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestCertificates certificates = TestCertificates.create(dir.resolve("tls"));
    long start = PipelineFixture.recentStart();
    try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(certificates);
        EmbeddedElasticsearch elasticsearch = EmbeddedElasticsearch.startSecured(certificates);
        PipelineFixture run = new PipelineFixture(kafka, elasticsearch, dir)) {
      assertThat(run.config.get(dev.channelanalytics.common.config.Setting.ELASTICSEARCH_URL))
          .startsWith("https://");
      refusesPlainClients(kafka, elasticsearch);

      List<SimulatedRecord> traffic = run.traffic(43, 2_000, start, SPAN);
      run.publish(traffic, null);
      run.startParser();
      run.startSharder();
      run.startCalculator();
      ReportApiAnswers api = new ReportApiAnswers(run.api());
      Instant from = Instant.ofEpochMilli(start).minus(Duration.ofDays(1));
      Instant to = Instant.ofEpochMilli(start).plus(SPAN).plus(Duration.ofDays(1));
      run.awaitApiEqualsModel(api, from, to, Duration.ofMinutes(4));
      assertThat(run.oracle.rejects()).as("the traffic holds rejects").isNotEmpty();
    }
  }

  /** A client without TLS, or with TLS but no credentials, gets nothing from either server. */
  private static void refusesPlainClients(EmbeddedKafka kafka, EmbeddedElasticsearch elasticsearch)
      throws Exception {
    Properties plain = new Properties();
    plain.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    plain.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    plain.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    try (Admin admin = Admin.create(plain)) {
      boolean answered;
      try {
        admin.listTopics().names().get(10, TimeUnit.SECONDS);
        answered = true;
      } catch (Exception refused) {
        answered = false;
      }
      assertThat(answered).as("a plain-text Kafka client is answered").isFalse();
    }
    URI https = elasticsearch.url();
    URI http = URI.create("http://localhost:" + https.getPort());
    HttpClient client = HttpClient.newHttpClient();
    boolean plainAnswered;
    try {
      client.send(
          HttpRequest.newBuilder(http.resolve("/_cluster/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      plainAnswered = true;
    } catch (java.io.IOException refused) {
      plainAnswered = false;
    }
    assertThat(plainAnswered).as("Elasticsearch answers plain HTTP").isFalse();
    HttpClient trusting =
        HttpClient.newBuilder()
            .sslContext(
                dev.channelanalytics.store.ElasticsearchEndpoint.of(
                        elasticsearch.configure(
                            dev.channelanalytics.common.config.ChannelConfig.load(
                                null, Path.of("."), Map.of(), new Properties())))
                    .sslContext())
            .build();
    HttpResponse<String> anonymous =
        trusting.send(
            HttpRequest.newBuilder(https.resolve("/_cluster/health")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).as("Elasticsearch without credentials").isEqualTo(401);
  }
}
