package io.weft.agent.cni.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CNI_* environment of one invocation, validated as the spec and the reference skeleton do.
 *
 * @param args CNI_ARGS split into its {@code KEY=VALUE} pairs (in order)
 */
public record CniEnvironment(
    CniCommand command, String containerId, String netns, String ifname, Map<String, String> args, String path) {

  private static final Pattern NETNS_PATH = Pattern.compile("/(var/)?run/netns/[^/\\x00]+|/proc/[1-9][0-9]{0,9}/ns/net");

  /** IFNAMSIZ is 16 bytes with the terminating NUL. */
  static final int MAX_IFNAME = 15;

  /**
   * Reads and validates the variables. Missing required ones are all named in one error; so are the
   * rules a container ID or an interface name break.
   *
   * @throws CniError code 4 (invalid environment variables)
   */
  public static CniEnvironment read(Map<String, String> env) {
    String commandText = blankToNull(env.get("CNI_COMMAND"));
    if (commandText == null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "required env variables [CNI_COMMAND] missing");
    }
    CniCommand command = CniCommand.of(commandText);
    if (command == null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "unknown CNI_COMMAND: " + commandText,
          "CNI_COMMAND must be one of ADD, DEL, CHECK, VERSION, GC, STATUS");
    }
    String[] names = {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"};
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      if (command.requires(name) && blankToNull(env.get(name)) == null) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new CniError(CniError.INVALID_ENVIRONMENT,
          "required env variables [" + String.join(",", missing) + "] missing");
    }
    String containerId = blankToNull(env.get("CNI_CONTAINERID"));
    String ifname = blankToNull(env.get("CNI_IFNAME"));
    if (command.requires("CNI_CONTAINERID")) {
      validateContainerId(containerId);
      validateInterfaceName(ifname);
    }
    String netns = blankToNull(env.get("CNI_NETNS"));
    if (netns != null && command.requires("CNI_NETNS")) {
      validateNetns(netns);
    }
    return new CniEnvironment(command, containerId, netns, ifname, parseArgs(env.get("CNI_ARGS")),
        blankToNull(env.get("CNI_PATH")));
  }

  /**
   * Where runtimes keep pod namespaces: {@code /var/run/netns/NAME} and {@code /run/netns/NAME} (ip netns,
   * containerd, CRI-O, podman) and {@code /proc/PID/ns/net} (a process's own). Anything else (a FIFO that
   * would hang the verb, a path under the agent's control) is refused before any file is opened.
   */
  static void validateNetns(String netns) {
    if (!NETNS_PATH.matcher(netns).matches() || netns.endsWith("/.") || netns.endsWith("/..")) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "invalid CNI_NETNS '" + netns + "'",
          "a pod's network namespace is /var/run/netns/NAME, /run/netns/NAME or /proc/PID/ns/net");
    }
  }

  /** Letters, digits, then any of those or {@code _ . -}: the runtime's own rule for container IDs. */
  static void validateContainerId(String id) {
    boolean ok = !id.isEmpty() && isAlnum(id.charAt(0));
    for (int i = 1; ok && i < id.length(); i++) {
      char c = id.charAt(i);
      ok = isAlnum(c) || c == '_' || c == '.' || c == '-';
    }
    if (!ok) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "invalid characters in CNI_CONTAINERID",
          "'" + id + "' must start with a letter or digit followed by letters, digits, '_', '.' or '-'");
    }
  }

  /** The kernel's rules for an interface name (dev_valid_name). */
  static void validateInterfaceName(String name) {
    String why = null;
    if (name.length() > MAX_IFNAME) {
      why = "interface name is too long (" + name.length() + " > " + MAX_IFNAME + ")";
    } else if (name.equals(".") || name.equals("..")) {
      why = "interface name is . or ..";
    } else {
      for (int i = 0; i < name.length() && why == null; i++) {
        char c = name.charAt(i);
        if (c == '/' || c == ':') {
          why = "interface name contains / or :";
        } else if (Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085') {
          why = "interface name contains white space";
        }
      }
    }
    if (why != null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "invalid CNI_IFNAME", why + ": '" + name + "'");
    }
  }

  /** {@code K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0}: empty items are skipped, a pair needs '='. */
  static Map<String, String> parseArgs(String text) {
    if (text == null || text.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<String, String> args = new LinkedHashMap<>();
    for (String item : text.split(";")) {
      if (item.isEmpty()) {
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0) {
        throw new CniError(CniError.INVALID_ENVIRONMENT, "invalid CNI_ARGS",
            "'" + item + "' is not a KEY=VALUE pair");
      }
      args.put(item.substring(0, eq), item.substring(eq + 1));
    }
    return Collections.unmodifiableMap(args);
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
