package dev.channelanalytics.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A single-node Elasticsearch server from the minimal distribution, as a child process.
 *
 * <p>All of its state (configuration, data, logs, temp files) lives in one directory. When the
 * caller is root the node runs as an unprivileged user that owns that directory, because
 * Elasticsearch refuses to run as root.
 */
public final class ElasticsearchNode implements StackService {
  /**
   * Where the node listens, how big it is and where it keeps its state.
   *
   * @param security HTTPS and basic auth, or null for plain HTTP without users (the local stack)
   */
  public record Settings(
      int httpPort, int transportPort, String heap, Path dir, String user, Security security) {
    /** A node on plain HTTP without users. */
    public Settings(int httpPort, int transportPort, String heap, Path dir, String user) {
      this(httpPort, transportPort, heap, dir, user, null);
    }
  }

  /**
   * A node as in production: Elasticsearch's own security (x-pack) on, HTTPS with the given
   * certificate, and one user of the file realm with the superuser role.
   *
   * @param certPem the node's certificate chain, PEM
   * @param keyPem its private key, PEM
   * @param caPem the CA that signed it (what clients trust)
   * @param username the user
   * @param password the user's password (for the health probe)
   * @param passwordHash its bcrypt hash, as the file realm stores it
   */
  public record Security(
      Path certPem,
      Path keyPem,
      Path caPem,
      String username,
      String password,
      String passwordHash) {
    @Override
    public String toString() {
      return "Security[" + certPem + ", user " + username + "]";
    }
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * One node of a cluster on this machine. The first node is master-eligible and holds data; the
   * others hold data only: a cluster of two cannot lose either of two master-eligible nodes (a
   * majority of two is two), so the node that may be lost is a data node, whose shards' replicas on
   * the first node take over.
   *
   * @param nodeName this node's name
   * @param transportPorts every node's transport port, the master-eligible one first
   * @param masterEligible whether this node may be elected master
   */
  public record Member(String nodeName, List<Integer> transportPorts, boolean masterEligible) {}

  private final Settings settings;
  private final Member member;
  private Path home;
  private final Optional<UnprivilegedUser> runAs;

  public ElasticsearchNode(Settings settings, Distributions distributions) {
    this(settings, null, distributions);
  }

  /** A node of a cluster ({@code member}), or a single node when it is null. */
  public ElasticsearchNode(Settings settings, Member member, Distributions distributions) {
    this.settings = settings;
    this.member = member;
    this.home = distributions.elasticsearchHome();
    this.runAs = UnprivilegedUser.whenRoot(settings.user());
  }

  public URI url() {
    return URI.create(
        (settings.security() == null ? "http" : "https") + "://localhost:" + settings.httpPort());
  }

  @Override
  public String name() {
    return member == null ? "elasticsearch" : member.nodeName();
  }

  @Override
  public int port() {
    return settings.httpPort();
  }

  @Override
  public Path logFile() {
    return settings.dir().resolve("node.log");
  }

  /** Writes the node's configuration and hands its directory to the unprivileged user. */
  @Override
  public void prepare() {
    runAs.ifPresent(this::relocateIfUnreachable);
    Path dir = stateDir();
    Path config = dir.resolve("config");
    try {
      Files.createDirectories(config);
      Files.createDirectories(dir.resolve("data"));
      Files.createDirectories(dir.resolve("logs"));
      Files.createDirectories(dir.resolve("tmp"));
      copyTree(home.resolve("config"), config);
      Files.writeString(
          config.resolve("elasticsearch.yml"),
          String.join(
              "\n",
              "# Written by the channel local stack.",
              "cluster.name: channel-local",
              "node.name: " + (member == null ? "channel-local-1" : member.nodeName()),
              "network.host: 127.0.0.1",
              "http.port: " + settings.httpPort(),
              "transport.port: " + settings.transportPort(),
              discoveryYaml(),
              securityYaml(),
              "path.data: " + dir.resolve("data"),
              "path.logs: " + dir.resolve("logs"),
              // A nearly full developer disk must not turn indices read-only.
              "cluster.routing.allocation.disk.threshold_enabled: false",
              "action.destructive_requires_name: false",
              ""));
      if (settings.security() != null) {
        Security s = settings.security();
        Files.copy(
            s.certPem(), config.resolve("http.crt.pem"), StandardCopyOption.REPLACE_EXISTING);
        dev.channelanalytics.common.security.SecretFiles.write(
            config.resolve("http.key.pem"), Files.readAllBytes(s.keyPem()));
        dev.channelanalytics.common.security.SecretFiles.write(
            config.resolve("users"),
            (s.username() + ":" + s.passwordHash() + "\n").getBytes(StandardCharsets.UTF_8));
        Files.writeString(config.resolve("users_roles"), "superuser:" + s.username() + "\n");
      }
      if (!Files.exists(logFile())) {
        Files.createFile(logFile());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    runAs.ifPresent(
        user -> {
          if (!user.canRead(home.resolve("bin"))) {
            home = readableCopyOfHome(user);
          }
          user.own(dir);
          if (!user.canRead(dir.resolve("config"))) {
            throw new IllegalStateException(
                "user "
                    + user.name()
                    + " cannot reach "
                    + dir
                    + "; put the state directory where every parent is searchable (chmod o+x)");
          }
        });
  }

  /** The command line that runs the node, switching user when the caller is root. */
  public List<String> command() {
    List<String> cmd = new ArrayList<>();
    runAs.ifPresent(u -> cmd.addAll(u.commandPrefix()));
    cmd.add(home.resolve("bin/elasticsearch").toString());
    return cmd;
  }

  public Map<String, String> environment() {
    return Map.of(
        "ES_JAVA_HOME", System.getProperty("java.home"),
        "ES_PATH_CONF", stateDir().resolve("config").toString(),
        "ES_TMPDIR", stateDir().resolve("tmp").toString(),
        "ES_JAVA_OPTS", "-Xms" + settings.heap() + " -Xmx" + settings.heap());
  }

  /** Starts the node; call {@link #prepare()} first. */
  @Override
  public ManagedProcess start(boolean detach) {
    return ManagedProcess.start(command(), environment(), stateDir(), logFile(), detach);
  }

  /** A single node, or a member finding the others by their transport ports. */
  private String discoveryYaml() {
    if (member == null) {
      return "discovery.type: single-node";
    }
    List<String> seeds = new ArrayList<>();
    member.transportPorts().forEach(p -> seeds.add("\"127.0.0.1:" + p + "\""));
    return String.join(
        "\n",
        "discovery.seed_hosts: [" + String.join(", ", seeds) + "]",
        member.masterEligible()
            ? "node.roles: [master, data, ingest]\ncluster.initial_master_nodes: [\""
                + member.nodeName()
                + "\"]"
            : "node.roles: [data, ingest]");
  }

  /** The settings of Elasticsearch's own security: off, or HTTPS with the file realm. */
  private String securityYaml() {
    if (settings.security() == null) {
      return "xpack.security.enabled: false";
    }
    return String.join(
        "\n",
        "xpack.security.enabled: true",
        "xpack.security.http.ssl.enabled: true",
        "xpack.security.http.ssl.certificate: http.crt.pem",
        "xpack.security.http.ssl.key: http.key.pem",
        "xpack.security.transport.ssl.enabled: false",
        "xpack.security.enrollment.enabled: false");
  }

  /** The probe's client: trusting the node's CA when it speaks HTTPS; made once. */
  private HttpClient client() {
    if (settings.security() == null) {
      return HTTP;
    }
    if (securedClient == null) {
      try {
        securedClient =
            HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .sslContext(
                    dev.channelanalytics.common.security.TrustedCertificates.ofPem(
                        settings.security().caPem()))
                .build();
      } catch (Exception e) {
        throw new IllegalStateException("cannot trust " + settings.security().caPem(), e);
      }
    }
    return securedClient;
  }

  private volatile HttpClient securedClient;

  /** True when the cluster reports green or yellow health. */
  @Override
  public boolean healthy() {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(url().resolve("/_cluster/health"))
              .timeout(Duration.ofSeconds(3))
              .GET();
      if (settings.security() != null) {
        request.header(
            "Authorization",
            "Basic "
                + java.util.Base64.getEncoder()
                    .encodeToString(
                        (settings.security().username() + ":" + settings.security().password())
                            .getBytes(StandardCharsets.UTF_8)));
      }
      HttpResponse<String> r = client().send(request.build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200
          && (r.body().contains("\"status\":\"green\"")
              || r.body().contains("\"status\":\"yellow\""));
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public void awaitHealthy(Duration timeout) {
    Poll.until("Elasticsearch on " + url(), timeout, this::healthy);
  }

  /**
   * Puts the node's state where the unprivileged user can reach it when the configured directory
   * lies under a parent it cannot enter (a checkout under /root), leaving a symbolic link in the
   * configured place so pid file, log and {@code channel logs} keep working.
   */
  /** The state directory with symbolic links resolved: the path the node itself must use. */
  private Path stateDir() {
    try {
      return Files.exists(settings.dir()) ? settings.dir().toRealPath() : settings.dir();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void relocateIfUnreachable(UnprivilegedUser user) {
    Path dir = settings.dir().toAbsolutePath().normalize();
    if (Files.isSymbolicLink(dir) || user.canRead(dir.getParent())) {
      return;
    }
    Path real =
        Path.of(
            "/var/tmp/channel-analytics",
            "state-" + Integer.toHexString(dir.toString().hashCode()),
            dir.getFileName().toString());
    try {
      Files.createDirectories(real);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            throw new IllegalStateException(
                "user " + user.name() + " cannot reach " + dir + ", which already holds state");
          }
        }
        Files.delete(dir);
      }
      Files.createDirectories(dir.getParent());
      Files.createSymbolicLink(dir, real);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot relocate Elasticsearch state to " + real, e);
    }
  }

  /**
   * A copy of the distribution in a world-readable place, for checkouts (say under /root) that the
   * unprivileged user cannot enter. Made once and reused.
   */
  private Path readableCopyOfHome(UnprivilegedUser user) {
    Path copy = Path.of("/var/tmp/channel-analytics", home.getFileName().toString());
    Path done = copy.resolve(".complete");
    try {
      if (!Files.exists(done)) {
        Files.createDirectories(copy);
        copyTree(home, copy);
        for (Path bin : List.of(copy.resolve("bin"), copy.resolve("jdk/bin"))) {
          if (Files.isDirectory(bin)) {
            try (Stream<Path> files = Files.list(bin)) {
              files.forEach(f -> f.toFile().setExecutable(true, false));
            }
          }
        }
        Files.createFile(done);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy Elasticsearch to " + copy, e);
    }
    if (!user.canRead(copy.resolve("bin"))) {
      throw new IllegalStateException("user " + user.name() + " cannot read " + copy);
    }
    return copy;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!target.getFileName().toString().equals("elasticsearch.yml")) {
          Files.copy(
              p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
