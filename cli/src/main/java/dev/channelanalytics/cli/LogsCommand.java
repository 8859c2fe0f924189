package dev.channelanalytics.cli;

import dev.channelanalytics.local.LocalStack;
import dev.channelanalytics.local.LogTail;
import dev.channelanalytics.local.StackService;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Shows a component's log, optionally following it like {@code tail -f}. */
@Command(name = "logs", description = "Show the log of a component.")
final class LogsCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Parameters(
      paramLabel = "COMPONENT",
      description =
          "A component as `channel status` lists it: kafka, elasticsearch, parser, sharder,"
              + " calculator, warehouse, calibration, demo or supervisor.")
  String component;

  @Option(
      names = {"-n", "--lines"},
      defaultValue = "100",
      description = "Lines from the end (default ${DEFAULT-VALUE}).")
  int lines;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing as the log grows.")
  boolean follow;

  @Override
  public Integer call() throws IOException {
    LocalStack stack = new LocalStack(cli.config());
    StackService service =
        stack
            .service(component)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "unknown component '"
                            + component
                            + "'; known: "
                            + stack.services().stream()
                                .map(StackService::name)
                                .collect(Collectors.joining(", "))));
    Path log = service.logFile();
    if (!Files.exists(log)) {
      System.err.println(component + " has no log yet (" + log + ")");
      return 1;
    }
    LogTail.lastLines(log, lines).forEach(System.out::println);
    if (follow) {
      try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
        long position = file.length();
        while (!Thread.currentThread().isInterrupted()) {
          long length = file.length();
          if (length > position) {
            file.seek(position);
            byte[] chunk = new byte[(int) (length - position)];
            file.readFully(chunk);
            System.out.print(new String(chunk, StandardCharsets.UTF_8));
            System.out.flush();
            position = length;
          } else {
            LockSupport.parkNanos(200_000_000L);
          }
        }
      }
    }
    return 0;
  }
}
