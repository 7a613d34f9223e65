package io.weft.agent;

/**
 * A configuration value the agent refuses. The message is one line naming the flag (or its
 * environment twin), the value and why: {@code --pod-subnet 10.9.1.0/24: not inside --cluster-cidr 10.244.0.0/16}.
 * The agent prints it and exits with code 2.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
