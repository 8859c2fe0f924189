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

  private Distributions(Path kafkaClasspathFile, Path elasticsearchHome) {
    this.kafkaClasspathFile = kafkaClasspathFile;
    this.elasticsearchHome = elasticsearchHome;
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
    return new Distributions(
        Path.of(p.getProperty("kafka.broker.classpath.file")).normalize(),
        Path.of(p.getProperty("elasticsearch.home")).normalize());
  }

  /** The Kafka broker's classpath, as resolved by the build into the local Maven repository. */
  public String kafkaBrokerClasspath() {
    if (!Files.isRegularFile(kafkaClasspathFile)) {
      throw new IllegalStateException(
          "Kafka broker classpath not found at "
              + kafkaClasspathFile
              + "; build first: mvn -B -DskipTests package");
    }
    try {
      return Files.readString(kafkaClasspathFile).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
