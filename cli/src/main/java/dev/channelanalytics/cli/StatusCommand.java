package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.Setting;
import dev.channelanalytics.common.kafka.ReplayHeaders;
import dev.channelanalytics.local.ConsumerLag;
import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.local.LocalStack.ServiceStatus;
import dev.channelanalytics.local.ParserMetrics;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Prints each service's health, port and pid; exits 0 only when all are healthy. */
@Command(
    name = "status",
    description =
        "Show each component's health, port, pid, restarts by the supervisor, log and the last"
            + " error in that log; when all are healthy, also each stage's consumer lag (exit 0"
            + " when all are healthy, 3 otherwise).")
final class StatusCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Override
  public Integer call() {
    LocalStack stack = new LocalStack(cli.config());
    List<ServiceStatus> status = stack.status();
    print(status, System.out);
    System.out.printf("%nPrometheus: %s%n", stack.prometheusLine());
    boolean healthy = status.stream().allMatch(ServiceStatus::healthy);
    if (healthy) {
      System.out.println();
      System.out.printf("%-40s %s%n", "STAGE (TOPIC)", "CONSUMER LAG");
      ConsumerLag.of(cli.config())
          .forEach(
              (stage, lag) ->
                  System.out.printf(
                      "%-40s %s%n", stage, lag == ConsumerLag.UNKNOWN ? "unknown" : lag));
      new ParserMetrics(cli.config().intValue(Setting.PARSER_REST_PORT))
          .sum(ReplayHeaders.PARSER_METRIC)
          .ifPresent(
              n ->
                  System.out.printf(
                      "%nreplayed: %,d of the records the parser read since it started were"
                          + " replays (channel replay; see docs/operations.md)%n",
                      n));
    }
    return healthy ? 0 : 3;
  }

  static void print(List<ServiceStatus> status, PrintStream out) {
    out.printf(
        "%-17s %-10s %-6s %-8s %-30s %s%n",
        "COMPONENT", "STATE", "PORT", "PID", "RESTARTS (LAST)", "LOG");
    for (ServiceStatus s : status) {
      String restarts =
          s.restarts().count() == 0
              ? "0"
              : s.restarts().count()
                  + " ("
                  + s.restarts().last().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                  + ")";
      out.printf(
          "%-17s %-10s %-6d %-8s %-30s %s%n",
          s.name(), s.state(), s.port(), s.pid() == null ? "-" : s.pid(), restarts, s.logFile());
      if (s.lastError() != null) {
        out.printf("%-17s last error: %s%n", "", s.lastError());
      }
    }
  }
}
