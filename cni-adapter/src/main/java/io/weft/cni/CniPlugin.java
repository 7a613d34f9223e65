package io.weft.cni;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The plugin's whole job, free of process globals so it can be tested: validate the invocation, answer
 * VERSION itself, forward everything else to the agent, shape the reply for the runtime.
 */
public final class CniPlugin {
  /** Where requests go; the real one is {@link AgentClient#post}. */
  @FunctionalInterface
  public interface Agent {
    AgentClient.Response post(Path socket, String path, String body) throws IOException;
  }

  /** What the process prints on stdout and its exit status. {@code stdout} is empty when there is nothing. */
  public record Outcome(int exitCode, String stdout) {}

  static final String CNI_PATH = "/v1/cni";

  private final Agent agent;

  public CniPlugin(Agent agent) {
    this.agent = agent;
  }

  public Outcome run(Map<String, String> environment, String stdin) {
    // Parsed once (the plugin's JSON is interpreted code on every run); a text that does not parse is
    // reported by NetworkConfig.parse below, after the environment, in the reference plugins' order.
    Map<String, Object> parsed = parseQuietly(stdin);
    String version = versionHint(parsed);
    try {
      CniEnvironment env = CniEnvironment.read(environment);
      if (env.command() == CniCommand.VERSION) {
        return new Outcome(0, versionInfo(version));
      }
      NetworkConfig config = parsed != null ? NetworkConfig.of(parsed) : NetworkConfig.parse(stdin);
      checkVersion(config.cniVersion(), env.command());
      version = config.cniVersion();
      CniRequest request = request(env, config);
      Map<String, Object> result = forward(Path.of(config.apiSocket()), request);
      if (env.command() == CniCommand.ADD) {
        if (result == null) {
          throw new CniError(CniError.IO_FAILURE, "the weft agent answered ADD without a result");
        }
        if (config.dns() != null && !config.dns().isEmpty()) {
          result.put("dns", config.dns());
        }
        return new Outcome(0, Json.write(ResultShaper.shape(result, version, config.prevResult())));
      }
      return new Outcome(0, "");
    } catch (CniError e) {
      return new Outcome(1, Json.write(e.toJson(version)));
    } catch (RuntimeException e) {
      // A bug here must still reach the runtime as a CNI error, not as a stack trace.
      CniError internal = new CniError(CniError.INTERNAL, "internal error in the weft plugin", e.toString());
      return new Outcome(1, Json.write(internal.toJson(version)));
    }
  }

  static String versionInfo(String version) {
    StringBuilder b = new StringBuilder("{\"cniVersion\":\"").append(version).append("\",\"supportedVersions\":[");
    for (int i = 0; i < CniVersion.SUPPORTED.size(); i++) {
      b.append(i == 0 ? "\"" : ",\"").append(CniVersion.SUPPORTED.get(i)).append('"');
    }
    return b.append("]}").toString();
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
    if (env.command() == CniCommand.ADD) {
      for (String ip : config.requestedIps()) {
        if (ip.indexOf('/') < 0) {
          throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid network config",
              "runtimeConfig.ips entries are CIDR notation (10.244.1.5/24), got '" + ip + "'");
        }
      }
    }
    return new CniRequest(env.command(), config.cniVersion(), config.name(), env.containerId(), env.netns(),
        env.ifname(), env.args(), config.mtu(), new ArrayList<>(config.requestedIps()), prevIps,
        env.command() == CniCommand.GC ? config.validAttachments() : null, mac(env, config));
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

  private Map<String, Object> forward(Path socket, CniRequest request) {
    AgentClient.Response response;
    try {
      response = agent.post(socket, CNI_PATH, request.toJson());
    } catch (IOException e) {
      throw new CniError(CniError.TRY_AGAIN_LATER, "weft agent not reachable at " + socket,
          e.getClass().getSimpleName() + ": " + e.getMessage() + " (is weft-agent running on this node?)");
    }
    if (response.status() == 503) {
      throw new CniError(CniError.TRY_AGAIN_LATER, "weft agent at " + socket + " is not ready", response.body());
    }
    if (response.status() != 200) {
      throw new CniError(CniError.IO_FAILURE, "weft agent at " + socket + " refused the request with HTTP "
          + response.status(), response.body());
    }
    return CniReply.read(response.body());
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
