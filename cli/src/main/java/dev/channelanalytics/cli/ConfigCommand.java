package dev.channelanalytics.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Prints the effective configuration and where each value came from; secrets masked. */
@Command(
    name = "config",
    description = "Show the effective configuration and where each value comes from.")
final class ConfigCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Override
  public Integer call() {
    System.out.print(cli.config().describe());
    return 0;
  }
}
