package dev.channelanalytics.cli;

import dev.channelanalytics.local.LocalStack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Starts the local stack; running services are left alone. */
@Command(
    name = "up",
    description = {
      "Start the whole pipeline on this machine: Kafka (and the topics), Elasticsearch, the parser,"
          + " the sharder, the reporting service (dashboard and report API), the offline warehouse"
          + " and a demo load (unless --no-demo).",
      "Components already running are left alone; prints the dashboard's address and each"
          + " component's status.",
      "With --cluster, production-shaped: 3 Kafka brokers (replication 3), 2 Elasticsearch nodes,"
          + " a Flink standalone session cluster running the parser's job jar (flink run) and a"
          + " Spark standalone cluster running the sharder's (spark-submit); state under"
          + " .local/cluster/."
    })
final class UpCommand implements Callable<Integer> {
  @ParentCommand ChannelCli cli;

  @picocli.CommandLine.Option(
      names = "--no-demo",
      description = "Start no simulated load: only data you publish (channel ingest) flows.")
  boolean noDemo;

  @picocli.CommandLine.Option(
      names = "--keyring",
      description = "The AES keyring file the parser decrypts with (overrides keyring.file).")
  java.nio.file.Path keyring;

  @Override
  public Integer call() {
    var config = cli.config();
    if (keyring != null) {
      if (!java.nio.file.Files.isReadable(keyring)) {
        throw new dev.channelanalytics.common.config.ConfigException(
            "keyring file not readable: " + keyring);
      }
      config =
          config.with(
              dev.channelanalytics.common.config.Setting.KEYRING_FILE,
              keyring.toAbsolutePath().toString());
      config.keyring(); // fails now, naming the problem, rather than in the parser's log
    }
    LocalStack stack = new LocalStack(config, !noDemo);
    stack.up(System.out);
    System.out.println();
    StatusCommand.print(stack.status(), System.out);
    return 0;
  }
}
