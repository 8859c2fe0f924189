package dev.channelanalytics.cli;

import dev.channelanalytics.local.LocalStack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Stops exactly the processes {@code up} started, by their recorded pids. */
@Command(
    name = "down",
    description = "Stop every component `channel up` started, by the process ids it recorded.")
final class DownCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Override
  public Integer call() {
    return new LocalStack(cli.config()).down(System.out) ? 0 : 1;
  }
}
