package dev.channelanalytics.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where this checkout keeps the server distributions the local stack and the tests start.
 *
 * <p>The build writes the locations (see {@code deploy/kafka-dist} and {@code
 * deploy/elasticsearch-dist}); nothing is downloaded at run time.
 */
public final class Distributions {
  private static final String RESOURCE = "/channel-distributions.properties";

  private final Path kafkaClasspathFile;
  private final Path elasticsearchHome;
  private final Path parserJar;
  private final Path parserTarget;
  private final Path parserJobJar;
  private final Path sharderJobJar;
  private final String flinkJvmArgs;
  private final Path sharderJar;
  private final Path sharderTarget;
  private final String sparkJvmArgs;
  private final Path calculatorJar;
  private final Path calculatorTarget;
  private final Path offlineJar;
  private final Path offlineTarget;
  private final Path calibrationJar;
  private final Path calibrationTarget;
  private final Path cliJar;
  private final Path monitoringDir;

  private Distributions(Properties p) {
    this.kafkaClasspathFile = Path.of(p.getProperty("kafka.broker.classpath.file")).normalize();
    this.elasticsearchHome = Path.of(p.getProperty("elasticsearch.home")).normalize();
    this.parserJar = Path.of(p.getProperty("parser.jar")).normalize();
    this.parserTarget = Path.of(p.getProperty("parser.target")).normalize();
    this.parserJobJar = Path.of(p.getProperty("parser.job-jar")).normalize();
    this.sharderJobJar = Path.of(p.getProperty("sharder.job-jar")).normalize();
    this.flinkJvmArgs = p.getProperty("flink.jvm.args", "").trim();
    this.sharderJar = Path.of(p.getProperty("sharder.jar")).normalize();
    this.sharderTarget = Path.of(p.getProperty("sharder.target")).normalize();
    this.sparkJvmArgs = p.getProperty("spark.jvm.args", "").trim();
    this.calculatorJar = Path.of(p.getProperty("calculator.jar")).normalize();
    this.calculatorTarget = Path.of(p.getProperty("calculator.target")).normalize();
    this.offlineJar = Path.of(p.getProperty("offline.jar")).normalize();
    this.offlineTarget = Path.of(p.getProperty("offline.target")).normalize();
    this.calibrationJar = Path.of(p.getProperty("calibration.jar")).normalize();
    this.calibrationTarget = Path.of(p.getProperty("calibration.target")).normalize();
    this.cliJar = Path.of(p.getProperty("cli.jar")).normalize();
    this.monitoringDir = Path.of(p.getProperty("monitoring.dir")).normalize();
  }

  /** The distributions of the checkout this code was built from. */
  public static Distributions ofThisBuild() {
    Properties p = new Properties();
    try (InputStream in = Distributions.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " missing from the classpath");
      }
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Distributions(p);
  }

  /**
   * The checkout's {@code deploy/monitoring}: the alert rules the local Prometheus loads and the
   * Grafana dashboards.
   */
  public Path monitoringDir() {
    return monitoringDir;
  }

  /** The Kafka broker's classpath, as resolved by the build into the local Maven repository. */
  public String kafkaBrokerClasspath() {
    return readClasspath("Kafka broker", kafkaClasspathFile);
  }

  /** The log parser's jar and its engine classpath (Flink runs as a MiniCluster in its JVM). */
  public String parserClasspath() {
    return jobClasspath("log parser", parserJar, parserTarget);
  }

  /**
   * Flink itself, without the job: what a Flink cluster's JobManager, TaskManager and CLI run on
   * (the parser's provided scope: flink-runtime, flink-streaming-java, flink-clients and logging;
   * {@code flink-dist} is not served by the registry).
   */
  public String flinkClasspath() {
    return readClasspath("log parser", parserTarget.resolve("provided.classpath"));
  }

  /** The parser's shaded jar for {@code flink run}: the job, common and the Kafka connector. */
  public Path parserJobJar() {
    return Path.of(built("log parser job jar", parserJobJar));
  }

  /**
   * The jars of the parser's Prometheus reporter as a Flink plugin: the parser's own jar and its
   * runtime dependencies, loaded in the plugin's own class loader.
   */
  public java.util.List<Path> parserReporterPluginJars() {
    java.util.List<Path> jars = new java.util.ArrayList<>();
    jars.add(Path.of(built("log parser", parserJar)));
    for (String jar :
        readClasspath("log parser", parserTarget.resolve("runtime.classpath"))
            .split(java.io.File.pathSeparator)) {
      if (!jar.isBlank()) {
        jars.add(Path.of(jar));
      }
    }
    return jars;
  }

  /**
   * Spark as a distribution's {@code jars/} would hold it: what a standalone master, worker and
   * spark-submit run on. The sharder's provided scope (Spark SQL) and the libraries Maven resolved
   * into its runtime scope because its Kafka source needs them too (Scala, Hadoop's client, Kafka's
   * client); not this project's own jars, which only the job jar brings.
   */
  public String sparkClasspath() {
    java.util.List<String> jars = new java.util.ArrayList<>();
    jars.add(readClasspath("sharder", sharderTarget.resolve("provided.classpath")));
    for (String jar :
        readClasspath("sharder", sharderTarget.resolve("runtime.classpath"))
            .split(java.io.File.pathSeparator)) {
      if (!jar.isBlank() && !jar.contains("/dev/channelanalytics/")) {
        jars.add(jar);
      }
    }
    return String.join(java.io.File.pathSeparator, jars);
  }

  /** The sharder's shaded jar for {@code spark-submit}. */
  public Path sharderJobJar() {
    return Path.of(built("sharder job jar", sharderJobJar));
  }

  /** Flink's add-opens list for Java 17, as the build defines it. */
  public java.util.List<String> flinkJvmArgs() {
    return split(flinkJvmArgs);
  }

  /** The sharder's jar and its engine classpath (Spark local mode in its JVM). */
  public String sharderClasspath() {
    return jobClasspath("sharder", sharderJar, sharderTarget);
  }

  /** The reporting service's jar and its dependencies. */
  public String calculatorClasspath() {
    return jobClasspath("calculator", calculatorJar, calculatorTarget);
  }

  /** The offline path's jar and its engine classpath (Spark with Hive, the Hive JDBC driver). */
  public String offlineClasspath() {
    return jobClasspath("offline warehouse", offlineJar, offlineTarget);
  }

  /** The calibration service's jar, its dependencies and the Hive JDBC driver (provided). */
  public String calibrationClasspath() {
    return jobClasspath("calibration", calibrationJar, calibrationTarget);
  }

  /** The operator command's self-contained jar (the demo load runs its simulator). */
  public String cliClasspath() {
    return built("channel command", cliJar);
  }

  /** Spark's add-opens list for Java 17, as the build defines it. */
  public java.util.List<String> sparkJvmArgs() {
    return split(sparkJvmArgs);
  }

  private static java.util.List<String> split(String args) {
    return args.isEmpty() ? java.util.List.of() : java.util.List.of(args.split("\\s+"));
  }

  /** A job's jar, its runtime dependencies and the engine it has as provided. */
  private static String jobClasspath(String what, Path jar, Path target) {
    return String.join(
        java.io.File.pathSeparator,
        built(what, jar),
        readClasspath(what, target.resolve("runtime.classpath")),
        readClasspath(what, target.resolve("provided.classpath")));
  }

  private static String readClasspath(String what, Path file) {
    built(what, file);
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String built(String what, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          what + " not built: " + file + " is missing; build first: mvn -B -DskipTests package");
    }
    return file.toString();
  }

  /** The unpacked Elasticsearch server. */
  public Path elasticsearchHome() {
    if (!Files.isExecutable(elasticsearchHome.resolve("bin/elasticsearch"))) {
      throw new IllegalStateException(
          "Elasticsearch not found at "
              + elasticsearchHome
              + "; build first: mvn -B -DskipTests package");
    }
    return elasticsearchHome;
  }
}
