package dev.channelanalytics.common.config;

/** A configuration value is missing or invalid; the message names the key and its source. */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
