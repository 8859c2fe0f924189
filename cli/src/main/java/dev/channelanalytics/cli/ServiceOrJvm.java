package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * How a command does work that belongs to a service (an offline run, a calibration): through the
 * running service, which runs one thing at a time and streams its progress, or, when none runs, in
 * a JVM of its own with the service's classpath and the effective configuration (no secrets).
 */
final class ServiceOrJvm {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ServiceOrJvm() {}

  /** True when {@code health} answers 200 with {@code "up"}. */
  static boolean serviceUp(URI health) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(3)).build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().contains("\"up\"");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Prints the service's progress lines as they come; the exit code {@code exitOf} the last. */
  static int throughService(String method, URI uri, ToIntFunction<String> exitOf)
      throws IOException, InterruptedException {
    HttpResponse<java.util.stream.Stream<String>> r =
        HTTP.send(
            HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofLines());
    String[] last = {""};
    r.body()
        .forEach(
            line -> {
              System.out.println(line);
              last[0] = line;
            });
    return r.statusCode() == 200 ? exitOf.applyAsInt(last[0]) : 2;
  }

  /**
   * Runs {@code main} with {@code args} after {@code --config FILE} (the effective configuration,
   * written to a temporary file and deleted after) in a JVM of its own; its exit code.
   */
  static int inJvm(
      ChannelConfig config, List<String> jvmArgs, String classpath, String main, List<String> args)
      throws IOException, InterruptedException {
    Path props =
        Files.createTempFile("channel-" + main.substring(main.lastIndexOf('.') + 1), ".properties");
    try {
      try (OutputStream out = Files.newOutputStream(props)) {
        config.nonSecretProperties().store(out, "effective configuration of " + main);
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmArgs);
      command.add("-Xmx512m");
      command.add("-Dchannel.home=" + config.baseDir());
      command.add("-Dlog4j2.level=WARN");
      command.add("-cp");
      command.add(classpath);
      command.add(main);
      command.add("--config");
      command.add(props.toString());
      command.addAll(args);
      return new ProcessBuilder(command).inheritIO().start().waitFor();
    } finally {
      Files.deleteIfExists(props);
    }
  }
}
