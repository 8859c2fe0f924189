package dev.channelanalytics.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parser on the local Flink session cluster ({@code channel up --cluster}): keeps its job
 * submitted the way an operator submits it, with Flink's CLI ({@code flink run --detached} of the
 * parser's shaded job jar). A job the cluster still has (running, restarting after a lost
 * TaskManager) is left alone; when the cluster has none (first start, a restarted JobManager, a job
 * that failed for good) it submits again, and the job resumes from its newest retained checkpoint
 * (the parser's main finds it under {@code parser.checkpoint-dir} and passes it as the savepoint
 * path, as {@code flink run -s} would).
 *
 * <p>It runs as the local stack's {@code parser} service, so the supervisor restarts it and {@code
 * channel status} shows the job's health.
 */
public final class FlinkJobSubmitter {
  private static final Logger LOG = LoggerFactory.getLogger(FlinkJobSubmitter.class);

  /** The parser job's name (LogParserJob#execute). */
  static final String JOB_NAME = "channel log parser";

  /** Job states after which the cluster no longer runs the job. */
  private static final Set<String> GONE = Set.of("FINISHED", "CANCELED", "FAILED", "SUSPENDED");

  private static final Duration POLL = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ChannelConfig config;
  private final Path configFile;
  private final Distributions dist;
  private final URI rest;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  FlinkJobSubmitter(ChannelConfig config, Path configFile, Distributions dist) {
    this.config = config;
    this.configFile = configFile;
    this.dist = dist;
    this.rest = URI.create("http://localhost:" + config.intValue(Setting.PARSER_REST_PORT));
  }

  /** What the JobManager says of the parser job: its state, or empty when it has none. */
  Optional<String> jobState() throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(rest.resolve("/jobs/overview"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("the JobManager answered " + r.statusCode());
    }
    for (JsonNode job : JSON.readTree(r.body()).path("jobs")) {
      String state = job.path("state").asText();
      if (JOB_NAME.equals(job.path("name").asText()) && !GONE.contains(state)) {
        return Optional.of(state);
      }
    }
    return Optional.empty();
  }

  /** {@code flink run --detached} of the parser's job jar against the local session cluster. */
  List<String> runCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(KafkaBroker.javaBinary());
    cmd.add("-Xmx384m");
    cmd.addAll(dist.flinkJvmArgs());
    cmd.add("-Dchannel.home=" + config.baseDir());
    cmd.add("-Dlog4j.configurationFile=" + flinkConfDir().resolve("log4j2.properties"));
    cmd.add("-cp");
    cmd.add(dist.flinkClasspath());
    cmd.add("org.apache.flink.client.cli.CliFrontend");
    cmd.addAll(List.of("run", "--detached", "--class", "dev.channelanalytics.parser.LogParserJob"));
    cmd.add(dist.parserJobJar().toString());
    cmd.addAll(List.of("--config", configFile.toString()));
    return cmd;
  }

  private Path flinkConfDir() {
    return config.stateDir("flink-jobmanager").resolve("conf");
  }

  /** Runs {@code flink run}; its output goes to this service's log. True when it succeeded. */
  boolean submit() throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(runCommand()).redirectErrorStream(true).inheritIO();
    ChannelConfig.removeSecrets(pb.environment());
    pb.environment().put("FLINK_CONF_DIR", flinkConfDir().toString());
    LOG.info("Submitting the parser: flink run --detached {}", dist.parserJobJar().getFileName());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      LOG.error("flink run did not end within 5 minutes");
      return false;
    }
    if (p.exitValue() != 0) {
      LOG.error("flink run failed with exit code {}; trying again", p.exitValue());
      return false;
    }
    return true;
  }

  /** Watches the cluster for as long as this process lives. */
  void run() throws InterruptedException {
    String last = "";
    while (true) {
      try {
        Optional<String> state = jobState();
        String now = state.orElse("none");
        if (!now.equals(last)) {
          LOG.info("The parser job on the cluster: {}", now);
          last = now;
        }
        if (state.isEmpty() && submit()) {
          last = "submitted";
        }
      } catch (IOException e) {
        if (!last.equals("unreachable")) {
          LOG.warn("The Flink JobManager at {} is unreachable: {}", rest, e.getMessage());
          last = "unreachable";
        }
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** {@code --config FILE}: the configuration the parser job is submitted with. */
  public static void main(String[] args) throws Exception {
    Path configFile = ChannelConfig.configFileOf(args);
    Path home = Path.of(System.getProperty("channel.home", "."));
    ChannelConfig config = ChannelConfig.load(configFile, home);
    new FlinkJobSubmitter(config, configFile, Distributions.ofThisBuild()).run();
  }
}
