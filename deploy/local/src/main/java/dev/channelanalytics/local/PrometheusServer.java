package dev.channelanalytics.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.common.security.SecretFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The local stack's Prometheus: Debian's {@code prometheus} package, on loopback, scraping every
 * component of the stack every 5 s with the project's alert rules ({@code deploy/monitoring/rules})
 * evaluated as often. Its configuration is written by {@link #prepare()} from the stack's own
 * settings (ports, TLS, whether the services need a token), so it always scrapes what this stack
 * runs. Where the package is not installed, {@link #installed()} says so and the stack runs without
 * it.
 */
public final class PrometheusServer implements StackService {
  /** Where Debian installs it. */
  static final Path BINARY = Path.of("/usr/bin/prometheus");

  /** What {@code channel up} says when it is missing. */
  public static final String HOW_TO_INSTALL =
      "not installed: the stack runs without it; to add it, apt-get install prometheus (Debian's"
          + " package; its own service can stay stopped) and run channel up again";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final ChannelConfig config;
  private final Path dir;
  private final Path rulesDir;

  PrometheusServer(ChannelConfig config, Distributions dist, Path dir) {
    this.config = config;
    this.dir = dir;
    this.rulesDir = dist.monitoringDir().resolve("rules");
  }

  /** Whether Debian's prometheus package is installed here. */
  public static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  @Override
  public String name() {
    return "prometheus";
  }

  @Override
  public int port() {
    return config.intValue(Setting.LOCAL_PROMETHEUS_PORT);
  }

  /** Where its web UI and HTTP API are. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  @Override
  public void prepare() {
    try {
      Files.createDirectories(dir.resolve("data"));
      SecretFiles.write(configFile(), scrapeConfiguration().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + configFile(), e);
    }
  }

  Path configFile() {
    return dir.resolve("prometheus.yml");
  }

  /**
   * The configuration, as JSON (which YAML reads as it is): each component one job, {@code
   * channel-<name>}, so that {@code up{job=~"channel-.*"}} is the stack's health.
   */
  String scrapeConfiguration() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode global = root.putObject("global");
    global.put("scrape_interval", "5s");
    global.put("scrape_timeout", "4s");
    global.put("evaluation_interval", "5s");
    global.putObject("external_labels").put("stack", "local");
    root.putArray("rule_files").add(rulesDir.resolve("*.yml").toString());
    ArrayNode jobs = root.putArray("scrape_configs");
    String metricsHost = config.get(Setting.METRICS_HOST);
    job(jobs, "parser", metricsHost, config.get(Setting.PARSER_METRICS_PORT), false);
    job(jobs, "sharder", metricsHost, config.get(Setting.SHARDER_METRICS_PORT), false);
    job(jobs, "calculator", "localhost", config.get(Setting.CALCULATOR_PORT), true);
    job(jobs, "warehouse", "localhost", config.get(Setting.LOCAL_OFFLINE_STATUS_PORT), true);
    job(jobs, "calibration", "localhost", config.get(Setting.CALIBRATION_PORT), true);
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }

  /** One component's scrape: the services over their TLS and with a token when they need one. */
  private void job(ArrayNode jobs, String name, String host, String port, boolean service)
      throws IOException {
    if (port.isBlank()) {
      return; // its metrics are off
    }
    ObjectNode job = jobs.addObject();
    job.put("job_name", "channel-" + name);
    job.put("metrics_path", "/metrics");
    job.putArray("static_configs").addObject().putArray("targets").add(host + ":" + port.trim());
    if (!service) {
      return;
    }
    if (!config.get(Setting.API_TLS_KEYSTORE).isBlank()) {
      job.put("scheme", "https");
      job.putObject("tls_config").put("ca_file", serviceCertificates().toString());
    }
    if (!config.get(Setting.API_ANONYMOUS_ROLE).equals("viewer")) {
      // A token in a file of its own, owner-only: never on a command line or in the config.
      Path token = dir.resolve("api-token");
      SecretFiles.write(token, ApiAccess.clientToken(config).getBytes(StandardCharsets.UTF_8));
      job.putObject("authorization")
          .put("type", "Bearer")
          .put("credentials_file", token.toString());
    }
  }

  /** The services' keystore certificates as PEM, what Prometheus trusts for their TLS. */
  private Path serviceCertificates() throws IOException {
    Path pem = dir.resolve("services-ca.pem");
    try (InputStream in = Files.newInputStream(config.path(Setting.API_TLS_KEYSTORE))) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, config.get(Setting.API_TLS_KEYSTORE_PASSWORD).toCharArray());
      StringBuilder out = new StringBuilder();
      Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
      for (String alias : Collections.list(store.aliases())) {
        Certificate[] chain = store.getCertificateChain(alias);
        for (Certificate c :
            chain != null ? chain : new Certificate[] {store.getCertificate(alias)}) {
          if (c != null) {
            out.append("-----BEGIN CERTIFICATE-----\n")
                .append(base64.encodeToString(c.getEncoded()))
                .append("\n-----END CERTIFICATE-----\n");
          }
        }
      }
      Files.writeString(pem, out.toString());
      return pem;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the certificates of " + Setting.API_TLS_KEYSTORE.key(), e);
    }
  }

  @Override
  public ManagedProcess start(boolean detach) {
    List<String> command =
        List.of(
            BINARY.toString(),
            "--config.file=" + configFile(),
            "--storage.tsdb.path=" + dir.resolve("data"),
            "--storage.tsdb.retention.time=7d",
            "--web.listen-address=127.0.0.1:" + port(),
            "--web.enable-lifecycle");
    return ManagedProcess.start(command, Map.of(), dir, logFile(), detach);
  }

  @Override
  public boolean healthy() {
    try {
      HttpResponse<Void> response =
          HTTP.send(
              HttpRequest.newBuilder(url().resolve("/-/ready"))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public Path logFile() {
    return dir.resolve("prometheus.log");
  }

  /** The stack's Prometheus when it is installed here. */
  static Optional<PrometheusServer> ifInstalled(
      ChannelConfig config, Distributions dist, Path dir) {
    return installed() ? Optional.of(new PrometheusServer(config, dist, dir)) : Optional.empty();
  }
}
