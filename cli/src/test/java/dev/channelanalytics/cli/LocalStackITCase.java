package dev.channelanalytics.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.local.LocalStack.ServiceStatus;
import dev.channelanalytics.local.Poll;
import dev.channelanalytics.local.PrometheusServer;
import dev.channelanalytics.testing.FreePorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code channel up / status / down} on free ports: once only, healthy, a killed job restarted by
 * the supervisor, and nothing left after; every port on loopback; no secret (the keyring given
 * inline in the environment, the command's token, the generated admin token) in any process's
 * environment or command line, and the secret files readable by their owner only.
 */
class LocalStackITCase {
  @TempDir Path dir;
  private Path configFile;

  @AfterEach
  void stopWhatever() throws Exception {
    if (configFile != null) {
      ChannelCli.run("--config", configFile.toString(), "down");
    }
  }

  @Test
  void upTwiceStartsOnceAKilledJobIsRestartedAndDownLeavesNoProcessOrPort() throws Exception {
    // Elasticsearch runs as an unprivileged user under root and must be able to enter the state.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    int kafkaPort = FreePorts.next();
    int controllerPort = FreePorts.next();
    int esPort = FreePorts.next();
    int esTransportPort = FreePorts.next();
    int parserRestPort = FreePorts.next();
    int sharderUiPort = FreePorts.next();
    int calculatorPort = FreePorts.next();
    int warehousePort = FreePorts.next();
    int warehouseStatusPort = FreePorts.next();
    int metastorePort = FreePorts.next();
    int calibrationPort = FreePorts.next();
    int parserMetricsPort = FreePorts.next();
    int sharderMetricsPort = FreePorts.next();
    int prometheusPort = FreePorts.next();
    boolean monitored = PrometheusServer.installed();
    if (!monitored) {
      System.err.println(
          "LocalStackITCase: Prometheus is not installed (apt-get install prometheus): the stack"
              + " runs without it and its monitoring is not checked");
    }
    configFile =
        TestConfigFile.write(
            dir,
            "kafka.bootstrap-servers=localhost:" + kafkaPort,
            "elasticsearch.url=http://localhost:" + esPort,
            "state.dir=" + dir.resolve("state"),
            "local.kafka.port=" + kafkaPort,
            "local.kafka.controller-port=" + controllerPort,
            "local.kafka.heap=384m",
            "local.elasticsearch.port=" + esPort,
            "local.elasticsearch.transport-port=" + esTransportPort,
            "local.elasticsearch.heap=512m",
            "parser.rest-port=" + parserRestPort,
            "local.parser.heap=512m",
            "sharder.ui-port=" + sharderUiPort,
            "local.sharder.heap=512m",
            "calculator.port=" + calculatorPort,
            "local.offline.port=" + warehousePort,
            "local.offline.status-port=" + warehouseStatusPort,
            "local.offline.metastore-port=" + metastorePort,
            "local.offline.heap=512m",
            "calibration.port=" + calibrationPort,
            "parser.metrics-port=" + parserMetricsPort,
            "sharder.metrics-port=" + sharderMetricsPort,
            "local.prometheus.port=" + prometheusPort,
            "local.calibration.heap=256m",
            "offline.jdbc-url=jdbc:hive2://localhost:" + warehousePort + "/default");
    ChannelConfig config = ChannelConfig.load(configFile, dir, Map.of(), new Properties());
    LocalStack stack = new LocalStack(config);

    // The first up as an operator runs it, in a JVM of its own, with the keyring inline in its
    // environment (the same keys as the file, so the in-process commands below agree) and a
    // token for the command: neither may reach a process the stack starts.
    String keyringJson = Files.readString(config.path(Setting.KEYRING_FILE)).trim();
    String commandToken = "command-token-" + java.util.UUID.randomUUID();
    ProcessBuilder up =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dchannel.home=" + Path.of("..").toAbsolutePath().normalize(),
                "-jar",
                Path.of("target", "channel-cli.jar").toAbsolutePath().toString(),
                "--config",
                configFile.toString(),
                "up")
            .inheritIO();
    up.environment().put(Setting.KEYRING_JSON.envName(), keyringJson);
    up.environment().put(Setting.API_TOKEN.envName(), commandToken);
    Process upProcess = up.start();
    assertThat(upProcess.waitFor(10, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
    assertThat(upProcess.exitValue()).isZero();
    List<ServiceStatus> first = stack.status();
    assertThat(first).extracting(ServiceStatus::state).containsOnly("healthy");
    List<Integer> ports =
        new ArrayList<>(
            List.of(
                kafkaPort,
                esPort,
                parserRestPort,
                sharderUiPort,
                calculatorPort,
                warehouseStatusPort,
                calibrationPort));
    if (monitored) {
      ports.add(prometheusPort);
    }
    ports.addAll(List.of(0, 0));
    assertThat(first).extracting(ServiceStatus::port).containsExactlyElementsOf(ports);
    assertThat(first).extracting(ServiceStatus::name).endsWith("demo", "supervisor");
    assertThat(listenersOutsideLoopback(first))
        .as("sockets the stack's processes listen on outside loopback")
        .isEmpty();
    Path tokens = config.path(Setting.API_TOKENS_FILE);
    List<String> secrets = new ArrayList<>(List.of(keyringJson, commandToken));
    secrets.addAll(
        dev.channelanalytics.common.contract.Keyring.load(config.path(Setting.KEYRING_FILE))
            .keyIds()
            .stream()
            .map(kid -> base64Key(keyringJson, kid))
            .toList());
    secrets.add(dev.channelanalytics.common.security.ApiAccess.clientToken(config));
    secrets.add(config.get(Setting.OFFLINE_JDBC_PASSWORD));
    assertThat(secrets).allSatisfy(secret -> assertThat(secret).hasSizeGreaterThan(20));
    assertThat(secretsInProcesses(first, secrets))
        .as("key material in the environment or command line of the stack's processes")
        .isEmpty();
    for (Path secretFile :
        List.of(
            tokens,
            config.path(Setting.KEYRING_FILE),
            config.secretFile(Setting.OFFLINE_JDBC_PASSWORD),
            config.stateDir("calculator").resolve("channel.properties"),
            config.stateDir("parser").resolve("channel.properties"))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)))
          .as(secretFile.toString())
          .isEqualTo("rw-------");
    }
    // The jobs were handed the inline keyring, in their owner-only configuration file.
    assertThat(Files.readString(config.stateDir("parser").resolve("channel.properties")))
        .contains("keyring.json=");

    assertThat(ChannelCli.run("--config", configFile.toString(), "up")).isZero();
    assertThat(stack.status())
        .extracting(ServiceStatus::pid)
        .containsExactlyElementsOf(first.stream().map(ServiceStatus::pid).toList());
    assertThat(ChannelCli.run("--config", configFile.toString(), "status")).isZero();
    // The warehouse answers the offline commands (nothing is due: the topics are empty).
    assertThat(ChannelCli.run("--config", configFile.toString(), "offline", "due")).isZero();
    // The report command reaches the stack's report API (no traffic: an empty report).
    String[] report = {
      "--config",
      configFile.toString(),
      "report",
      "--product",
      "demo",
      "--from",
      "2026-11-23T00:00:00Z",
      "--to",
      "2026-11-24T00:00:00Z"
    };
    assertThat(ChannelCli.run(report)).isZero();
    String[] csv = java.util.Arrays.copyOf(report, report.length + 1);
    csv[report.length] = "--csv";
    assertThat(ChannelCli.run(csv)).isZero();
    String[] badGranularity = java.util.Arrays.copyOf(report, report.length + 2);
    badGranularity[report.length] = "--granularity";
    badGranularity[report.length + 1] = "week";
    assertThat(ChannelCli.run(badGranularity)).as("the API's 400").isEqualTo(2);
    // A web page of another origin can send a simple POST to a run endpoint, without a token:
    // both services refuse it and start nothing (their last run stays what it was).
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    for (int port : List.of(calibrationPort, warehouseStatusPort)) {
      java.net.URI base = URI.create("http://localhost:" + port);
      String before = get(http, base.resolve("/health"));
      java.net.http.HttpResponse<String> post =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      base.resolve("/runs?from=2026-11-23T00:00:00Z&to=2026-11-23T01:00:00Z"))
                  .header("Origin", "http://evil.example")
                  .header("Content-Type", "text/plain")
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString("run=please"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).as("a cross-origin POST to " + base).isEqualTo(401);
      assertThat(post.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
      assertThat(get(http, base.resolve("/health"))).as("nothing ran").isEqualTo(before);
    }
    // The stack's calibration service answers the command: two empty hours, proven empty.
    assertThat(
            ChannelCli.run(
                "--config",
                configFile.toString(),
                "calibrate",
                "--from",
                "2026-11-23T00:00:00Z",
                "--to",
                "2026-11-23T02:00:00Z"))
        .isZero();

    if (monitored) {
      monitoringSeesEveryComponentAndTheSharderLagging(stack, prometheusPort);
    }

    // A job killed with -9 is restarted by the supervisor, and status says so.
    ServiceStatus calculator = statusOf(stack, "calculator");
    ProcessHandle.of(calculator.pid()).orElseThrow().destroyForcibly();
    Poll.until(
        "the supervisor to restart the killed calculator",
        Duration.ofMinutes(2),
        () -> {
          ServiceStatus now = statusOf(stack, "calculator");
          return now.healthy() && !now.pid().equals(calculator.pid());
        });
    ServiceStatus restarted = statusOf(stack, "calculator");
    assertThat(restarted.restarts().count()).isEqualTo(1);
    assertThat(restarted.lastError())
        .contains("calculator (pid " + calculator.pid() + ") is gone without channel down");
    assertThat(statusOf(stack, "parser").restarts().count()).isZero();
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    StatusCommand.print(stack.status(), new java.io.PrintStream(printed, true, "UTF-8"));
    assertThat(printed.toString(java.nio.charset.StandardCharsets.UTF_8))
        .containsPattern("calculator +healthy .* 1 \\(20")
        .contains("last error: ")
        .contains("is gone without channel down");
    first = first.stream().map(s -> s.name().equals("calculator") ? restarted : s).toList();

    // Down stops the supervisor alone, then the restarted calculator by its own pid file.
    java.io.ByteArrayOutputStream downOut = new java.io.ByteArrayOutputStream();
    assertThat(stack.down(new java.io.PrintStream(downOut, true, "UTF-8"))).isTrue();
    assertThat(downOut.toString(java.nio.charset.StandardCharsets.UTF_8))
        .containsPattern("calculator +stopped \\(pid " + restarted.pid() + "\\)");
    for (ServiceStatus s : first) {
      assertThat(ProcessHandle.of(s.pid()).map(ProcessHandle::isAlive))
          .isNotEqualTo(java.util.Optional.of(true));
    }
    for (int port :
        List.of(
            kafkaPort,
            controllerPort,
            esPort,
            esTransportPort,
            parserRestPort,
            sharderUiPort,
            calculatorPort,
            warehousePort,
            warehouseStatusPort,
            metastorePort,
            calibrationPort,
            parserMetricsPort,
            sharderMetricsPort,
            prometheusPort)) {
      assertThat(listening(port)).as("port %d still listening", port).isFalse();
    }
    assertThat(stack.status()).extracting(ServiceStatus::state).containsOnly("stopped");
    assertThat(ChannelCli.run("--config", configFile.toString(), "status")).isEqualTo(3);
  }

  /**
   * The stack's Prometheus scrapes every component, holds every metric the repository's dashboard
   * and alert rules query, and alerts on the sharder's lag while it is paused (SIGSTOP: its process
   * stays, its consumer stops); killed then, the supervisor restarts it, it catches up from its
   * checkpoint and the alert resolves.
   */
  private void monitoringSeesEveryComponentAndTheSharderLagging(LocalStack stack, int port)
      throws Exception {
    StackPrometheus.checkExtraction();
    StackPrometheus prometheus = new StackPrometheus(URI.create("http://127.0.0.1:" + port));
    List<String> jobs =
        List.of(
            "channel-parser",
            "channel-sharder",
            "channel-calculator",
            "channel-warehouse",
            "channel-calibration");
    Poll.until(
        "Prometheus to scrape every component",
        Duration.ofMinutes(2),
        () -> {
          Map<String, String> targets = prometheus.targets();
          return jobs.stream().allMatch(j -> "up".equals(targets.get(j)));
        });
    assertThat(prometheus.targets().keySet()).containsExactlyInAnyOrderElementsOf(jobs);
    Path monitoring = Path.of("..", "deploy", "monitoring").toAbsolutePath().normalize();
    Set<String> queried =
        new TreeSet<>(
            StackPrometheus.metricsOfDashboard(
                monitoring.resolve("grafana/dashboards/channel-pipeline.json")));
    assertThat(queried).hasSizeGreaterThan(20);
    queried.addAll(
        StackPrometheus.metricsOfRules(monitoring.resolve("rules/channel-pipeline.yml")));
    Set<String> missing = new TreeSet<>();
    try {
      Poll.until(
          "every metric the dashboard and the rules query to be scraped",
          Duration.ofMinutes(1),
          () -> {
            missing.clear();
            missing.addAll(queried);
            missing.removeAll(prometheus.metricNames());
            return missing.isEmpty();
          });
    } catch (IllegalStateException e) {
      assertThat(missing).as("metrics queried but not exported").isEmpty();
    }
    assertThat(prometheus.query("sum(flink_taskmanager_job_task_operator_envelopesIn_total)"))
        .as("envelopes the parser read, as Prometheus has them")
        .isPositive();

    ServiceStatus sharder = statusOf(stack, "sharder");
    assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(sharder.pid())).start().waitFor())
        .isZero();
    Poll.until(
        "the paused sharder's lag alert to fire",
        Duration.ofMinutes(3),
        () -> prometheus.alertState("ChannelStageBehind", "stage", "sharder").equals("firing"));
    assertThat(prometheus.alertState("ChannelStageBehind", "stage", "parser"))
        .as("the parser keeps up meanwhile")
        .isEqualTo("inactive");
    // A kill -9 ends even a stopped process; the supervisor starts the sharder again.
    ProcessHandle.of(sharder.pid()).orElseThrow().destroyForcibly();
    Poll.until(
        "the restarted sharder to catch up and the alert to resolve",
        Duration.ofMinutes(4),
        () -> prometheus.alertState("ChannelStageBehind", "stage", "sharder").equals("inactive"));
    assertThat(statusOf(stack, "sharder").pid()).isNotEqualTo(sharder.pid());
  }

  /** The standard-base64 key of {@code kid} in a keyring's JSON. */
  private static String base64Key(String keyringJson, String kid) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(keyringJson)
          .path(kid)
          .asText();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Each process of the stack (and child of one) whose environment or command line, as any user of
   * the machine can read them in {@code /proc}, holds one of {@code secrets}: {@code component pid
   * where}.
   */
  private static List<String> secretsInProcesses(
      List<ServiceStatus> services, List<String> secrets) {
    List<String> found = new ArrayList<>();
    int read = 0;
    for (ServiceStatus s : services) {
      if (s.pid() == null) {
        continue;
      }
      List<ProcessHandle> tree = new ArrayList<>();
      ProcessHandle.of(s.pid()).ifPresent(tree::add);
      ProcessHandle.of(s.pid()).ifPresent(h -> h.descendants().forEach(tree::add));
      for (ProcessHandle h : tree) {
        for (String where : List.of("environ", "cmdline")) {
          byte[] bytes;
          try {
            bytes = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), where));
          } catch (IOException gone) {
            continue;
          }
          read++;
          String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
          for (String secret : secrets) {
            if (text.contains(secret)) {
              found.add(s.name() + " " + h.pid() + " " + where);
            }
          }
        }
      }
    }
    assertThat(read).as("/proc entries read").isGreaterThanOrEqualTo(2 * services.size() - 4);
    return found;
  }

  private static String get(java.net.http.HttpClient http, java.net.URI uri) throws Exception {
    return http.send(
            java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static ServiceStatus statusOf(LocalStack stack, String name) {
    return stack.status().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Each TCP socket a process of the stack, or a child of one, listens on outside loopback, as
   * {@code component address} (read with {@code ss}, which names the owning pids).
   */
  private static List<String> listenersOutsideLoopback(List<ServiceStatus> services)
      throws Exception {
    Map<Long, String> owners = new java.util.HashMap<>();
    for (ServiceStatus s : services) {
      if (s.pid() != null) {
        owners.put(s.pid(), s.name());
        ProcessHandle.of(s.pid())
            .ifPresent(h -> h.descendants().forEach(d -> owners.put(d.pid(), s.name())));
      }
    }
    assertThat(owners).as("the stack's processes").isNotEmpty();
    Process ss = new ProcessBuilder("ss", "-H", "-l", "-n", "-t", "-p").start();
    List<String> lines =
        new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
            .lines()
            .toList();
    assertThat(ss.waitFor()).as("ss").isZero();
    java.util.regex.Pattern pid = java.util.regex.Pattern.compile("pid=(\\d+)");
    List<String> outside = new ArrayList<>();
    for (String line : lines) {
      // State, Recv-Q, Send-Q, Local Address:Port, Peer Address:Port, Process
      String local = line.trim().split("\\s+")[3];
      String host = local.substring(0, local.lastIndexOf(':'));
      boolean loopback =
          host.startsWith("127.") || host.equals("[::1]") || host.startsWith("[::ffff:127.");
      java.util.regex.Matcher m = pid.matcher(line);
      while (m.find()) {
        String owner = owners.get(Long.parseLong(m.group(1)));
        if (owner != null && !loopback) {
          outside.add(owner + " " + local);
        }
      }
    }
    return outside;
  }
}
