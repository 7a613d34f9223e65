package io.weft.agent.cni.protocol;

import io.weft.core.net.IpAddresses;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CNI invocation as the runtime made it (the variables and the config the forwarder passed on),
 * answered as the spec shapes it: validate, hand the request to the agent's endpoint, shape the result
 * for the config's version. What {@code /opt/cni/bin/weft} prints and its exit status come from here.
 */
public final class CniPlugin {
  private static final Logger log = LoggerFactory.getLogger(CniPlugin.class);

  /** Does the verb; the real one is the agent's {@code CniEndpoint}. */
  @FunctionalInterface
  public interface Agent {
    /**
     * @return ADD's result, empty for the other verbs
     * @throws CniError when the verb fails
     */
    Optional<CniResult> execute(CniRequest request);
  }

  /** What the forwarder prints on stdout and its exit status. */
  public record Outcome(int exitCode, String stdout) {}

  private final Agent agent;

  public CniPlugin(Agent agent) {
    this.agent = agent;
  }

  public Outcome run(Map<String, String> environment, String stdin) {
    // Parsed once; a text that does not parse is reported by NetworkConfig.parse below, after the
    // environment, in the reference plugins' order.
    Map<String, Object> parsed = parseQuietly(stdin);
    String version = versionHint(parsed);
    try {
      CniEnvironment env = CniEnvironment.read(environment);
      if (env.command() == CniCommand.VERSION) {
        throw new CniError(CniError.INVALID_ENVIRONMENT, "VERSION is answered by the weft executable itself",
            "the agent is asked only ADD, DEL, CHECK, GC and STATUS");
      }
      NetworkConfig config = parsed != null ? NetworkConfig.of(parsed) : NetworkConfig.parse(stdin);
      checkVersion(config.cniVersion(), env.command());
      version = config.cniVersion();
      Optional<CniResult> result = agent.execute(request(env, config));
      if (env.command() != CniCommand.ADD) {
        return new Outcome(0, "");
      }
      Map<String, Object> json = result.orElseThrow(() -> new CniError(CniError.INTERNAL,
          "the weft agent finished ADD without a result")).toJson();
      if (config.dns() != null && !config.dns().isEmpty()) {
        json.put("dns", config.dns());
      }
      return new Outcome(0, Json.write(ResultShaper.shape(json, version, config.prevResult())));
    } catch (CniError e) {
      return new Outcome(1, Json.write(e.toJson(version)));
    } catch (RuntimeException e) {
      // A bug must still reach the runtime as a CNI error; the stack trace goes to the agent's log.
      log.error("CNI: unexpected failure", e);
      CniError internal = new CniError(CniError.INTERNAL, "internal error in the weft agent", e.toString());
      return new Outcome(1, Json.write(internal.toJson(version)));
    }
  }

  private static void checkVersion(String version, CniCommand command) {
    if (!CniVersion.isSupported(version)) {
      throw new CniError(CniError.INCOMPATIBLE_VERSION, "incompatible CNI versions",
          "config is \"" + version + "\", plugin supports " + CniVersion.SUPPORTED);
    }
    if (!CniVersion.atLeast(version, command.since())) {
      throw new CniError(CniError.INCOMPATIBLE_VERSION, "config version does not allow " + command,
          command + " needs cniVersion " + command.since() + " or newer, config is \"" + version + "\"");
    }
  }

  private static CniRequest request(CniEnvironment env, NetworkConfig config) {
    List<String> prevIps = List.of();
    if (env.command() == CniCommand.CHECK) {
      if (config.prevResult() == null) {
        throw new CniError(CniError.INVALID_NETWORK_CONFIG, "required prevResult missing",
            "CHECK compares the attachment with the result of its ADD");
      }
      prevIps = ResultShaper.addresses(config.prevResult());
    }
    if (env.command() == CniCommand.DEL && config.prevResult() != null) {
      // Names the address of an attachment whose allocation record the agent could not read.
      prevIps = ResultShaper.addresses(config.prevResult());
    }
    if (env.command() == CniCommand.GC && config.validAttachments() == null) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "missing " + NetworkConfig.VALID_ATTACHMENTS,
          "GC releases every attachment not in that list, so it must be given (it may be empty)");
    }
    List<String> requestedIps = new ArrayList<>();
    if (env.command() == CniCommand.ADD) {
      for (String ip : config.requestedIps()) {
        if (ip.indexOf('/') < 0) {
          throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid network config",
              "runtimeConfig.ips entries are CIDR notation (10.244.1.5/24), got '" + ip + "'");
        }
        requestedIps.add(ip);
      }
      requestedIps.addAll(argsIps(env));
    }
    return new CniRequest(env.command(), config.cniVersion(), config.name(), env.containerId(), env.netns(),
        env.ifname(), env.args(), config.mtu(), requestedIps, prevIps,
        env.command() == CniCommand.GC ? config.validAttachments() : null, mac(env, config));
  }

  /**
   * CNI_ARGS {@code IP}: the static address a runtime asks for this way (podman {@code --ip}), a comma list
   * of addresses with or without a prefix length, as the reference host-local IPAM reads it.
   */
  private static List<String> argsIps(CniEnvironment env) {
    String text = env.args().get("IP");
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    List<String> ips = new ArrayList<>();
    for (String ip : text.split(",", -1)) {
      String address = ip.indexOf('/') < 0 ? ip : ip.substring(0, ip.indexOf('/'));
      try {
        IpAddresses.parse(address);
      } catch (IllegalArgumentException e) {
        throw new CniError(CniError.INVALID_ENVIRONMENT, "invalid CNI_ARGS IP",
            "'" + ip + "' is not an IPv4 address such as 10.244.1.200: " + e.getMessage());
      }
      ips.add(ip);
    }
    return ips;
  }

  /**
   * The MAC address ADD gives the container interface (and CHECK expects): the config's (runtimeConfig,
   * then args.cni), else CNI_ARGS {@code MAC}, as the reference bridge plugin ranks them; null for none.
   */
  private static String mac(CniEnvironment env, NetworkConfig config) {
    if (env.command() != CniCommand.ADD && env.command() != CniCommand.CHECK) {
      return null;
    }
    if (config.requestedMac() != null) {
      return config.requestedMac().normalised();
    }
    String fromArgs = env.args().get("MAC");
    return fromArgs == null || fromArgs.isEmpty() ? null
        : NetworkConfig.mac(fromArgs, "CNI_ARGS MAC", CniError.INVALID_ENVIRONMENT);
  }

  /**
   * The config's cniVersion when it is one we speak, so even an early error answers in the runtime's
   * version; else the newest.
   */
  private static String versionHint(Map<String, Object> config) {
    Object v = config == null ? null : config.get("cniVersion");
    return v instanceof String s && CniVersion.isSupported(s) ? s : CniVersion.LATEST;
  }

  private static Map<String, Object> parseQuietly(String stdin) {
    if (stdin.isEmpty()) {
      return null;
    }
    try {
      return Json.parseObject(stdin);
    } catch (JsonException e) {
      return null;
    }
  }
}
