package dev.channelanalytics.cli;

import dev.channelanalytics.local.LocalStack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Starts the local stack; running services are left alone. */
@Command(
    name = "up",
    description = "Start the local stack (Kafka, Elasticsearch) and create the topics.")
final class UpCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @Override
  public Integer call() {
    LocalStack stack = new LocalStack(cli.config());
    stack.up(System.out);
    System.out.println();
    StatusCommand.print(stack.status(), System.out);
    return 0;
  }
}
