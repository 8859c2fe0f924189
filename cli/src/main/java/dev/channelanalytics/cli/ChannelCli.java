package dev.channelanalytics.cli;

import dev.channelanalytics.common.config.ChannelConfig;
import dev.channelanalytics.common.config.ConfigException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code channel} command operators use: runs the local stack and the operator tools.
 *
 * <p>Subcommands read the configuration through {@link #config()}, so every address and name comes
 * from one place. The command's scope is inherited, so every subcommand, present and future,
 * answers {@code --help} and {@code --version}.
 */
@Command(
    name = "channel",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT,
    version = "channel-analytics 0.1.0",
    description = "Channel analytics: new users per product and distribution channel.",
    subcommands = {
      UpCommand.class,
      DownCommand.class,
      StatusCommand.class,
      LogsCommand.class,
      ConfigCommand.class,
      SimulateCommand.class,
      IngestCommand.class,
      TopicsCommand.class,
      ValidateCommand.class,
      OfflineCommand.class,
      CalibrateCommand.class,
      ReplayCommand.class,
      ReportCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ChannelCli {
  /** The installation's home: the repository root, set by the {@code channel} script. */
  static final String HOME_PROPERTY = "channel.home";

  @Option(
      names = "--config",
      description =
          "Configuration file (default: config/local/channel.properties under the home,"
              + " or $CHANNEL_CONFIG).",
      scope = CommandLine.ScopeType.INHERIT)
  File configFile;

  @Option(
      names = "--cluster",
      description =
          "The production-shaped local cluster (config/cluster/channel.properties under the home):"
              + " channel up --cluster, then status, ingest, calibrate, down ... --cluster.",
      scope = CommandLine.ScopeType.INHERIT)
  boolean cluster;

  /** Loads the configuration: the chosen file, then environment and system properties. */
  ChannelConfig config() {
    Path home = home();
    Path file;
    if (configFile != null) {
      file = configFile.toPath();
    } else if (cluster) {
      file = home.resolve("config/cluster/channel.properties");
    } else if (System.getenv("CHANNEL_CONFIG") != null) {
      file = Path.of(System.getenv("CHANNEL_CONFIG"));
    } else {
      file = home.resolve("config/local/channel.properties");
    }
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("configuration file not found: " + file);
    }
    return ChannelConfig.load(file, home);
  }

  static Path home() {
    return Path.of(System.getProperty(HOME_PROPERTY, ".")).toAbsolutePath().normalize();
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code: 0 done, 1 failed, 2 bad usage. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The command tree with its error handling, as {@link #run} executes it. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new ChannelCli());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + messageOf(e));
          if (Boolean.getBoolean("channel.debug")) {
            e.printStackTrace(commandLine.getErr());
          }
          return 1;
        });
    return cli;
  }

  private static String messageOf(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
      if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
        sb.append(": ").append(c.getMessage());
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return sb.toString();
  }
}
