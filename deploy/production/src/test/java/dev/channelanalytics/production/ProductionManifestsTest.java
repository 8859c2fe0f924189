package dev.channelanalytics.production;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.store.FirstSeenIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.yaml.snakeyaml.Yaml;

/**
 * The production manifests against the build they deploy: every manifest parses; the images are the
 * Dockerfile's targets at the project's version; every jar a manifest runs is one the build makes
 * and the Dockerfile puts at that path; every main class exists; every configuration key and
 * environment variable is a {@link Setting}, secrets only as {@code file:} references; the ports
 * are the configuration's; the index templates are the code's mappings; the broker and topic
 * settings agree with the replication the configuration asks for.
 */
class ProductionManifestsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path root;
  private static Path production;
  private static String version;
  private static String dockerfile;
  private static ChannelConfig config;
  private static Properties configFile;

  /** Every document of every manifest, by file name. */
  private static Map<String, List<Map<String, Object>>> manifests;

  @BeforeAll
  static void load() throws Exception {
    production = Path.of("").toAbsolutePath();
    root = production.getParent().getParent();
    assertThat(root.resolve("pom.xml")).exists();
    version = text(pom(root), "version");
    dockerfile = Files.readString(production.resolve("images/Dockerfile"));
    Path file = root.resolve("config/production/channel.properties");
    configFile = new Properties();
    try (var in = Files.newBufferedReader(file)) {
      configFile.load(in);
    }
    config = ChannelConfig.load(file, root, Map.of(), new Properties());
    manifests = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(production.resolve("k8s"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(p))) {
          if (doc != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) doc;
            docs.add(map);
          }
        }
        manifests.put(p.getFileName().toString(), docs);
      }
    }
  }

  @Test
  void everyManifestIsAKubernetesObjectAndTheKustomizationListsThemAll() {
    assertThat(manifests).containsKeys("kustomization.yaml", "parser-flinkdeployment.yaml");
    List<String> workloads = new ArrayList<>();
    manifests.forEach(
        (file, docs) -> {
          assertThat(docs).as(file).isNotEmpty();
          for (Map<String, Object> doc : docs) {
            assertThat(doc).as(file).containsKeys("apiVersion", "kind");
            if (!file.equals("kustomization.yaml")) {
              assertThat(at(doc, "metadata", "name")).as(file + " metadata.name").isNotNull();
            }
          }
          if (!file.equals("kustomization.yaml")) {
            workloads.add(file);
          }
        });
    Map<String, Object> kustomization = manifests.get("kustomization.yaml").get(0);
    assertThat(list(kustomization.get("resources")).stream().map(Object::toString).toList())
        .containsExactlyInAnyOrderElementsOf(workloads);
    Path k8s = production.resolve("k8s");
    for (Object generator : list(kustomization.get("configMapGenerator"))) {
      for (Object entry : list(((Map<?, ?>) generator).get("files"))) {
        String source = entry.toString().substring(entry.toString().indexOf('=') + 1);
        assertThat(k8s.resolve(source).normalize()).as("configMapGenerator file").exists();
      }
    }
    assertThat(generated(kustomization, "channel-config"))
        .isEqualTo(root.resolve("config/production/channel.properties"));
    assertThat(generated(kustomization, "channel-alert-rules"))
        .isEqualTo(root.resolve("deploy/monitoring/rules/channel-pipeline.yml"));
  }

  @Test
  void imagesAreTheDockerfilesTargetsAtTheProjectsVersion() {
    Set<String> targets = new TreeSet<>();
    Matcher from = Pattern.compile("(?m)^FROM \\S+ AS (\\S+)$").matcher(dockerfile);
    while (from.find()) {
      targets.add(from.group(1));
    }
    assertThat(targets).contains("flink-log-parser", "spark-sharder", "services");
    Set<String> used = new TreeSet<>();
    eachValue(
        "image",
        image -> {
          assertThat(image).startsWith("channel-analytics/").endsWith(":" + version);
          String target = image.substring("channel-analytics/".length(), image.lastIndexOf(':'));
          assertThat(targets).as("Dockerfile target of " + image).contains(target);
          used.add(target);
        });
    targets.remove("build");
    assertThat(used).as("every image the Dockerfile builds is deployed").isEqualTo(targets);
    assertThat(dockerfile).contains("ARG VERSION=" + version);
  }

  @Test
  void jobJarsAndMainClassesAreTheBuildsOwn() throws Exception {
    Map<String, Object> parser = only("parser-flinkdeployment.yaml", "FlinkDeployment");
    String parserJar = "flink-log-parser-" + version + "-job.jar";
    assertThat(at(parser, "spec", "job", "jarURI"))
        .isEqualTo("local:///opt/flink/usrlib/" + parserJar);
    assertThat(dockerfile.replace("$VERSION", version))
        .contains("/opt/flink/usrlib/" + parserJar)
        .contains("/opt/flink/plugins/channel-metrics/" + parserJar);
    assertThat(shadedJob(root.resolve("flink-log-parser/pom.xml")))
        .isEqualTo(at(parser, "spec", "job", "entryClass"));

    Map<String, Object> sharder = only("sharder-sparkapplication.yaml", "SparkApplication");
    String sharderJar = "/opt/channel-analytics/spark-sharder-" + version + "-job.jar";
    assertThat(at(sharder, "spec", "mainApplicationFile")).isEqualTo("local://" + sharderJar);
    assertThat(dockerfile.replace("$VERSION", version)).contains(sharderJar);
    assertThat(shadedJob(root.resolve("spark-sharder/pom.xml")))
        .isEqualTo(at(sharder, "spec", "mainClass"));

    Map<String, Object> warehouse = only("warehouse.yaml", "SparkApplication");
    assertThat(at(warehouse, "spec", "mainApplicationFile"))
        .isEqualTo("local:///opt/channel-analytics/offline-hive/offline-hive-" + version + ".jar");
    // Spark's own Thrift server, from the dependency the offline module builds against.
    assertThat(at(warehouse, "spec", "mainClass"))
        .isEqualTo("org.apache.spark.sql.hive.thriftserver.HiveThriftServer2");
    assertThat(Files.readString(root.resolve("offline-hive/pom.xml")))
        .contains("<artifactId>spark-hive-thriftserver_2.12</artifactId>");

    // The services: java -cp <module jar>:<module>/lib/* <main class>.
    int services = 0;
    for (String file : List.of("calculator.yaml", "calibration.yaml", "warehouse.yaml")) {
      for (Map<String, Object> doc : manifests.get(file)) {
        for (Map<String, Object> container : containers(doc)) {
          Object command = container.get("command");
          if (command == null) {
            continue;
          }
          String line = String.join(" ", list(command).stream().map(Object::toString).toList());
          Matcher cp =
              Pattern.compile(
                      "/opt/channel-analytics/([a-z-]+)/([a-z-]+)-"
                          + Pattern.quote(version)
                          + "\\.jar:/opt/channel-analytics/([a-z-]+)/lib/\\*\"?\\s+(?:MAIN=)?"
                          + "([a-z.]+\\.[A-Z]\\w+)")
                  .matcher(line);
          assertThat(cp.find()).as(file + ": " + line).isTrue();
          String module = cp.group(2);
          assertThat(cp.group(1)).isEqualTo(module);
          assertThat(cp.group(3)).isEqualTo(module);
          assertThat(root.resolve(module + "/pom.xml")).as("module " + module).exists();
          assertThat(dockerfile).contains("for m in").contains(module);
          String main = cp.group(4);
          services++;
          assertThat(root.resolve(module + "/src/main/java/" + main.replace('.', '/') + ".java"))
              .as(file + " main class")
              .exists();
        }
      }
    }
    assertThat(services).as("the calculator, calibration and the hourly offline run").isEqualTo(3);
  }

  @Test
  void everyConfigurationKeyAndEnvironmentVariableIsASettingAndSecretsAreFiles() throws Exception {
    Set<String> keys =
        Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toSet());
    assertThat(configFile.stringPropertyNames())
        .allSatisfy(k -> assertThat(keys.contains(k)).as("a setting named " + k).isTrue());
    for (Setting s : Setting.values()) {
      if (s.secret() && configFile.containsKey(s.key())) {
        assertThat(configFile.getProperty(s.key())).as(s.key()).startsWith("file:");
      }
    }
    Map<String, Setting> byEnv =
        Arrays.stream(Setting.values()).collect(Collectors.toMap(Setting::envName, s -> s));
    Set<String> allowed = Set.of("CHANNEL_CONFIG", "JDK_JAVA_OPTIONS");
    List<Map<String, Object>> envs = new ArrayList<>();
    manifests.values().forEach(docs -> docs.forEach(d -> collect(d, "env", envs)));
    assertThat(envs).hasSizeGreaterThan(10);
    String sparkArgs = text(pom(root), "properties/spark.jvm.args");
    for (Map<String, Object> env : envs) {
      String name = env.get("name").toString();
      String value = String.valueOf(env.get("value"));
      if (allowed.contains(name)) {
        if (name.equals("CHANNEL_CONFIG")) {
          assertThat(value).isEqualTo("/etc/channel-analytics/channel.properties");
        } else {
          assertThat(value).as("Spark's add-opens, as pom.xml has them").isEqualTo(sparkArgs);
        }
        continue;
      }
      assertThat(byEnv.containsKey(name)).as("a setting named by " + name).isTrue();
      Setting s = byEnv.get(name);
      if (s.secret()) {
        assertThat(value).as(name + ": a secret only as a file reference").startsWith("file:");
      }
    }
    // The configuration's keyring is where the manifests mount the keyring secret.
    assertThat(config.get(Setting.KEYRING_FILE)).startsWith("/etc/channel-analytics/keyring/");
  }

  @Test
  void portsAreTheConfigurations() {
    Map<String, Object> calculator = only("calculator.yaml", "Deployment");
    assertThat(containerPorts(calculator))
        .containsExactly(config.intValue(Setting.CALCULATOR_PORT));
    assertThat(servicePorts("calculator.yaml"))
        .containsExactly(config.intValue(Setting.CALCULATOR_PORT));
    Map<String, Object> calibration = only("calibration.yaml", "Deployment");
    assertThat(containerPorts(calibration))
        .containsExactly(config.intValue(Setting.CALIBRATION_PORT));
    assertThat(servicePorts("calibration.yaml"))
        .containsExactly(config.intValue(Setting.CALIBRATION_PORT));
    for (Map<String, Object> d : List.of(calculator, calibration)) {
      Map<String, Object> probe = map(containers(d).get(0).get("readinessProbe"));
      assertThat(at(probe, "httpGet", "port")).isEqualTo(containerPorts(d).get(0));
      assertThat(at(probe, "httpGet", "path")).isEqualTo("/health");
    }
    Map<String, Object> parser = only("parser-flinkdeployment.yaml", "FlinkDeployment");
    int parserMetrics = config.intValue(Setting.PARSER_METRICS_PORT);
    assertThat(at(parser, "spec", "flinkConfiguration", "metrics.reporter.prometheus.port"))
        .isEqualTo(Integer.toString(parserMetrics));
    assertThat(containerPorts(parser)).containsExactly(parserMetrics);
    Map<String, Object> sharder = only("sharder-sparkapplication.yaml", "SparkApplication");
    assertThat(
            list(at(sharder, "spec", "driver", "ports")).stream()
                .map(p -> (Object) ((Map<?, ?>) p).get("containerPort"))
                .toList())
        .containsExactly((Object) config.intValue(Setting.SHARDER_METRICS_PORT));
    Map<String, Object> warehouse = only("warehouse.yaml", "SparkApplication");
    int hive =
        Integer.parseInt(config.get(Setting.OFFLINE_JDBC_URL).replaceAll(".*:(\\d+)/.*", "$1"));
    assertThat(at(warehouse, "spec", "sparkConf", "spark.hadoop.hive.server2.thrift.port"))
        .isEqualTo(Integer.toString(hive));
    assertThat(servicePorts("warehouse.yaml")).containsExactly(hive);
    assertThat(config.get(Setting.OFFLINE_JDBC_URL))
        .as("the warehouse's Service, in the kustomization's namespace")
        .startsWith(
            "jdbc:hive2://"
                + at(only("warehouse.yaml", "Service"), "metadata", "name")
                + "."
                + manifests.get("kustomization.yaml").get(0).get("namespace")
                + ".svc:");
  }

  @Test
  void indexTemplatesAreTheCodesMappings() throws IOException {
    String prefix = config.get(Setting.SHARDER_INDEX_PREFIX);
    JsonNode template =
        JSON.readTree(production.resolve("elasticsearch/first-seen-template.json").toFile());
    assertThat(template.path("index_patterns").get(0).asText()).isEqualTo(prefix + "*");
    JsonNode created =
        JSON.readTree(
            FirstSeenIndex.productIndexBody(
                prefix,
                config.intValue(Setting.SHARDER_INDEX_SHARDS),
                config.intValue(Setting.SHARDER_INDEX_REPLICAS)));
    assertThat(template.path("template").path("mappings")).isEqualTo(created.path("mappings"));
    assertThat(template.path("template").path("aliases")).isEqualTo(created.path("aliases"));
    assertThat(template.at("/template/settings/number_of_replicas").asInt())
        .isEqualTo(config.intValue(Setting.SHARDER_INDEX_REPLICAS))
        .isPositive();
    JsonNode reports =
        JSON.readTree(production.resolve("elasticsearch/reports-template.json").toFile());
    assertThat(reports.path("index_patterns").get(0).asText())
        .isEqualTo(config.get(Setting.CALCULATOR_REPORT_INDEX) + "*");
    assertThat(reports.path("index_patterns").get(1).asText())
        .isEqualTo(FirstSeenIndex.changesIndex(prefix));
    assertThat(reports.at("/template/settings/number_of_replicas").asInt()).isPositive();
  }

  @Test
  void brokersAndTopicsKeepAllButOneReplicaInSync() throws IOException {
    int rf = config.intValue(Setting.TOPIC_REPLICATION_FACTOR);
    assertThat(rf).isGreaterThanOrEqualTo(3);
    Properties broker = new Properties();
    try (var in = Files.newBufferedReader(production.resolve("kafka/broker.properties"))) {
      broker.load(in);
    }
    assertThat(broker.getProperty("default.replication.factor")).isEqualTo(Integer.toString(rf));
    assertThat(broker.getProperty("transaction.state.log.replication.factor"))
        .isEqualTo(Integer.toString(rf));
    assertThat(broker.getProperty("offsets.topic.replication.factor"))
        .isEqualTo(Integer.toString(rf));
    assertThat(broker.getProperty("min.insync.replicas")).isEqualTo(Integer.toString(rf - 1));
    assertThat(broker.getProperty("transaction.state.log.min.isr"))
        .isEqualTo(Integer.toString(rf - 1));
    assertThat(broker.getProperty("auto.create.topics.enable")).isEqualTo("false");
    assertThat(Long.parseLong(broker.getProperty("transaction.max.timeout.ms")))
        .isGreaterThanOrEqualTo(config.duration(Setting.PARSER_TRANSACTION_TIMEOUT).toMillis());
    String script = Files.readString(production.resolve("kafka/create-topics.sh"));
    assertThat(script).contains("topics").contains("config/production/channel.properties");
    assertThat(Files.isExecutable(production.resolve("kafka/create-topics.sh"))).isTrue();
  }

  // --- helpers -----------------------------------------------------------------------------

  private static Document pom(Path dir) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(dir.resolve("pom.xml").toFile());
  }

  /** The text of the first element at a slash-separated path under the project element. */
  private static String text(Document pom, String path) {
    Element e = pom.getDocumentElement();
    for (String step : path.split("/")) {
      Element next = null;
      for (var n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element child && child.getTagName().equals(step)) {
          next = child;
          break;
        }
      }
      assertThat(next).as("<" + step + "> in pom.xml").isNotNull();
      e = next;
    }
    return e.getTextContent().trim();
  }

  /** The main class of a module's shaded job jar (classifier job), from its pom. */
  private static String shadedJob(Path pom) throws IOException {
    String xml = Files.readString(pom);
    assertThat(xml).contains("<shadedClassifierName>job</shadedClassifierName>");
    Matcher m = Pattern.compile("<mainClass>([\\w.]+)</mainClass>").matcher(xml);
    assertThat(m.find()).as("mainClass in " + pom).isTrue();
    String main = m.group(1);
    Path module = pom.getParent();
    assertThat(module.resolve("src/main/java/" + main.replace('.', '/') + ".java")).exists();
    return main;
  }

  private static Path generated(Map<String, Object> kustomization, String name) {
    for (Object g : list(kustomization.get("configMapGenerator"))) {
      Map<?, ?> generator = (Map<?, ?>) g;
      if (name.equals(generator.get("name"))) {
        String entry = list(generator.get("files")).get(0).toString();
        return production
            .resolve("k8s")
            .resolve(entry.substring(entry.indexOf('=') + 1))
            .normalize();
      }
    }
    throw new AssertionError("no configMapGenerator " + name);
  }

  private static Map<String, Object> only(String file, String kind) {
    List<Map<String, Object>> of =
        manifests.get(file).stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertThat(of).as(kind + " in " + file).hasSize(1);
    return of.get(0);
  }

  private static Object at(Map<String, Object> doc, String... path) {
    Object o = doc;
    for (String step : path) {
      if (!(o instanceof Map<?, ?> m)) {
        return null;
      }
      o = m.get(step);
    }
    return o;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  private static List<?> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<?>) o;
  }

  /** Every container of a workload (pod templates, job templates, Flink's pod template). */
  private static List<Map<String, Object>> containers(Map<String, Object> doc) {
    List<Map<String, Object>> found = new ArrayList<>();
    collect(doc, "containers", found);
    return found;
  }

  private static List<Integer> containerPorts(Map<String, Object> doc) {
    List<Integer> ports = new ArrayList<>();
    for (Map<String, Object> c : containers(doc)) {
      Object p = c.get("ports");
      if (p != null) {
        list(p).forEach(x -> ports.add((Integer) ((Map<?, ?>) x).get("containerPort")));
      }
    }
    return ports;
  }

  private static List<Integer> servicePorts(String file) {
    Map<String, Object> service = only(file, "Service");
    return list(at(service, "spec", "ports")).stream()
        .map(
            p -> {
              Map<?, ?> port = (Map<?, ?>) p;
              assertThat(port.get("targetPort")).isEqualTo(port.get("port"));
              return (Integer) port.get("port");
            })
        .toList();
  }

  /** Each value (as text) of every key {@code key} anywhere in the manifests. */
  private static void eachValue(String key, Consumer<String> action) {
    manifests.values().forEach(docs -> docs.forEach(d -> walk(d, key, action)));
  }

  private static void walk(Object node, String key, Consumer<String> action) {
    if (node instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) -> {
            if (key.equals(k)) {
              action.accept(String.valueOf(v));
            }
            walk(v, key, action);
          });
    } else if (node instanceof List<?> l) {
      l.forEach(x -> walk(x, key, action));
    }
  }

  /** The entries of every list named {@code key} anywhere under {@code node}. */
  @SuppressWarnings("unchecked")
  private static void collect(Object node, String key, List<Map<String, Object>> into) {
    if (node instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) -> {
            if (key.equals(k) && v instanceof List<?> l) {
              l.forEach(x -> into.add((Map<String, Object>) x));
            } else {
              collect(v, key, into);
            }
          });
    } else if (node instanceof List<?> l) {
      l.forEach(x -> collect(x, key, into));
    }
  }

  private static void collectLists(Object node, String key, List<Map<String, Object>> into) {
    collect(node, key, into);
  }
}
