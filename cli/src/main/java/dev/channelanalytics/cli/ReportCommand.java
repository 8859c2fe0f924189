package dev.channelanalytics.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.channelanalytics.common.config.Setting;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * New users of a product from the report API, each row with its status: a table for reading, or the
 * API's settlement CSV ({@code format=csv}) for the books.
 */
@Command(
    name = "report",
    description =
        "New users of a product per bucket and channel over [--from, --to), each row provisional or"
            + " final: a table, or with --csv the settlement export.")
final class ReportCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand ChannelCli cli;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--product", required = true, description = "The product.")
  String product;

  @Option(names = "--from", required = true, description = "Start, e.g. 2026-11-23T00:00:00Z.")
  String from;

  @Option(names = "--to", required = true, description = "End (exclusive).")
  String to;

  @Option(
      names = "--granularity",
      defaultValue = "hour",
      description = "minute, hour or day (default: ${DEFAULT-VALUE}).")
  String granularity;

  @Option(names = "--channel", description = "Only this channel.")
  String channel;

  @Option(names = "--csv", description = "Print the settlement CSV instead of a table.")
  boolean csv;

  @Option(
      names = "--api",
      description =
          "The report API (default: http://localhost:<calculator.port>, https with"
              + " api.tls-keystore).")
  URI api;

  @Override
  public Integer call() throws Exception {
    Instant start = OfflineCommand.instant(spec, "--from", from);
    Instant end = OfflineCommand.instant(spec, "--to", to);
    URI base =
        api != null
            ? api
            : ServiceOrJvm.local(cli.config(), cli.config().intValue(Setting.CALCULATOR_PORT));
    URI uri =
        base.resolve(
            "/api/v1/new-users?product="
                + encode(product)
                + "&granularity="
                + encode(granularity)
                + "&from="
                + start
                + "&to="
                + end
                + (channel == null ? "" : "&channel=" + encode(channel))
                + (csv ? "&format=csv" : ""));
    HttpResponse<String> r;
    try {
      r =
          dev.channelanalytics.common.security.ServiceClient.client(
                  cli.config(), Duration.ofSeconds(5))
              .send(
                  ServiceOrJvm.request(cli.config(), uri).timeout(Duration.ofMinutes(2)).build(),
                  HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      spec.commandLine()
          .getErr()
          .println(
              "channel report: the report API at "
                  + base
                  + " does not answer ("
                  + e.getClass().getSimpleName()
                  + "); start it with ./channel up or give --api");
      return 1;
    }
    if (r.statusCode() != 200) {
      String error = r.body();
      try {
        error = JSON.readTree(r.body()).path("error").asText(r.body());
      } catch (IOException notJson) {
        // The body as it came.
      }
      spec.commandLine().getErr().println("channel report: " + error);
      return r.statusCode() == 400 ? 2 : 1;
    }
    spec.commandLine().getOut().print(csv ? r.body() : ReportTable.render(JSON.readTree(r.body())));
    spec.commandLine().getOut().flush();
    return 0;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A new-users answer as an aligned table with a summary line. */
  static final class ReportTable {
    private ReportTable() {}

    static String render(JsonNode answer) {
      JsonNode rows = answer.get("rows");
      int channelWidth = "channel".length();
      for (JsonNode row : rows) {
        channelWidth = Math.max(channelWidth, row.get("channel").asText().length());
      }
      String format = "%-20s  %-" + channelWidth + "s  %10s  %s%n";
      StringBuilder out = new StringBuilder();
      out.append(String.format(format, "bucket", "channel", "new users", "status"));
      long total = 0;
      long finals = 0;
      for (JsonNode row : rows) {
        long users = row.get("new_users").asLong();
        total += users;
        if ("final".equals(row.get("status").asText())) {
          finals++;
        }
        out.append(
            String.format(
                format,
                row.get("bucket").asText(),
                row.get("channel").asText(),
                String.format("%,d", users),
                row.get("status").asText()));
      }
      out.append(
          String.format(
              "%,d new users of %s in %,d rows (%,d final, %,d provisional); %s buckets in %s%n",
              total,
              answer.get("product").asText(),
              rows.size(),
              finals,
              rows.size() - finals,
              answer.get("granularity").asText(),
              answer.get("tz").asText()));
      return out.toString();
    }
  }
}
