package io.weft.agent;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The environment twin of every flag: {@code --node-ip} reads {@code WEFT_NODE_IP} when the flag is not
 * given. An empty variable counts as unset. Picocli falls back to the annotated default when this
 * returns null, so the order is flag, then environment, then default.
 */
public final class EnvDefaults implements IDefaultValueProvider {
  private final Map<String, String> env;

  public EnvDefaults(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  /** {@code --node-ip} → {@code WEFT_NODE_IP}. */
  public static String envName(String flag) {
    return "WEFT_" + flag.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /** Where a flag's value came from when the command line did not give it: its twin if set, else the flag's default. */
  String sourceOf(String flag) {
    String env = envName(flag);
    return has(env) ? env : flag;
  }

  boolean has(String envName) {
    String v = env.get(envName);
    return v != null && !v.isEmpty();
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (arg instanceof OptionSpec option && !option.usageHelp() && !option.versionHelp()) {
      String name = envName(option.longestName());
      return has(name) ? env.get(name) : null;
    }
    return null;
  }
}
