package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.security.ApiAccess;
import dev.channelanalytics.common.security.SecretFiles;
import dev.channelanalytics.common.security.ServiceClient;
import java.io.IOException;
import java.net.URI;
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
 * a JVM of its own with the service's classpath and the effective configuration.
 */
final class ServiceOrJvm {

  private ServiceOrJvm() {}

  /** The service on this host at {@code port} ({@code https} when the services use TLS). */
  static URI local(ChannelConfig config, int port) {
    return ServiceClient.local(config, port);
  }

  /** True when {@code health} answers 200 with {@code "up"}. */
  static boolean serviceUp(ChannelConfig config, URI health) {
    try {
      HttpResponse<String> r =
          ServiceClient.client(config, Duration.ofSeconds(2))
              .send(
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

  /**
   * A request to one of the system's services, with the command's bearer token ({@link
   * ApiAccess#clientToken}) when there is one.
   */
  static HttpRequest.Builder request(ChannelConfig config, URI uri) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri);
    String token = ApiAccess.clientToken(config);
    if (!token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  /**
   * Prints the service's progress lines as they come; the exit code {@code exitOf} the last. A
   * refusal for want of a token (401, 403) says how to give one.
   */
  static int throughService(
      ChannelConfig config, String method, URI uri, ToIntFunction<String> exitOf)
      throws IOException, InterruptedException {
    HttpResponse<java.util.stream.Stream<String>> r =
        ServiceClient.client(config, Duration.ofSeconds(2))
            .send(
                request(config, uri).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofLines());
    if (r.statusCode() == 401 || r.statusCode() == 403) {
      System.err.println(
          "the service at "
              + uri.getHost()
              + ":"
              + uri.getPort()
              + " refused: "
              + r.body().collect(java.util.stream.Collectors.joining(" "))
              + "\nThis needs an admin token: set "
              + Setting.API_TOKEN.envName()
              + ", or "
              + Setting.API_TOKENS_FILE.key()
              + " to a tokens file this user can read (./channel up made "
              + config.get(Setting.API_TOKENS_FILE)
              + " locally).");
      return 2;
    }
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
   * secrets included, written to a temporary file only this user can read and deleted after) in a
   * JVM of its own, whose environment holds no secret setting; its exit code.
   */
  static int inJvm(
      ChannelConfig config, List<String> jvmArgs, String classpath, String main, List<String> args)
      throws IOException, InterruptedException {
    Path props =
        Files.createTempFile("channel-" + main.substring(main.lastIndexOf('.') + 1), ".properties");
    try {
      // A temporary file is created owner-only; written through the one path for secret files.
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      config.properties().store(out, "effective configuration of " + main);
      SecretFiles.write(props, out.toByteArray());
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
      ProcessBuilder child = new ProcessBuilder(command).inheritIO();
      ChannelConfig.removeSecrets(child.environment());
      return child.start().waitFor();
    } finally {
      Files.deleteIfExists(props);
    }
  }
}
