package io.weft.agent;

import io.weft.core.net.MacAddress;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node checks before joining: the node IP is on an interface (its uplink and MAC go into the record),
 * {@code ip_forward} is on (turned on when off; reported as a problem when that fails), and strict
 * {@code rp_filter} is reported, not changed.
 */
public final class Preflight {
  private static final Logger log = LoggerFactory.getLogger(Preflight.class);
  static final String IP_FORWARD = "net.ipv4.ip_forward";

  /**
   * @param uplink   the interface holding the node IP
   * @param mac      its MAC (all zeros when it has none, e.g. a tunnel)
   * @param problems things to fix that do not stop the agent, each with its fix (shown in status)
   */
  public record Result(String uplink, MacAddress mac, List<String> problems) {
    public Result {
      problems = List.copyOf(problems);
    }
  }

  /** Thrown when the node cannot run Weft; the agent exits 1 with the message. */
  public static final class PreflightException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PreflightException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private Preflight() {}

  public static Result run(Dataplane dataplane, Inet4Address nodeIp) {
    InterfaceAddress holder = dataplane.addresses().listIpv4().stream()
        .filter(a -> a.address().equals(nodeIp)).findFirst()
        .orElseThrow(() -> new PreflightException("node IP " + nodeIp.getHostAddress()
            + " is not on any interface of this host; give --node-ip an address of this host", null));
    String uplink = holder.device();
    MacAddress mac = dataplane.links().byName(uplink).map(Link::mac).orElse(null);
    if (mac == null) {
      mac = MacAddress.of(new byte[6]);
    }
    List<String> problems = new ArrayList<>();
    ipForward(dataplane).ifPresent(problems::add);
    int all = rpFilter(dataplane, "all");
    int dev = rpFilter(dataplane, uplink);
    // The kernel uses the larger of conf.all and conf.<dev>; 1 is strict.
    if (Math.max(all, dev) == 1) {
      String p = "strict rp_filter on " + uplink + " (net.ipv4.conf.all.rp_filter=" + all + ", net.ipv4.conf."
          + uplink + ".rp_filter=" + dev + ") may drop pod traffic that returns another way; fix: sysctl -w "
          + "net.ipv4.conf.all.rp_filter=2 net.ipv4.conf." + uplink + ".rp_filter=2 (loose)";
      problems.add(p);
      log.warn(p);
    }
    return new Result(uplink, mac, problems);
  }

  /**
   * Warns when this host's name is not in the hosts file. JGroups resolves the local host name once at
   * start-up; without a hosts entry that is a DNS query, and where no DNS server answers (a fresh node,
   * a lab namespace) joining waits for the resolver's timeout, about 10 s. Only the file is read here.
   *
   * @return the warning, with its fix, or empty when the name is listed (or the file is unreadable)
   */
  static Optional<String> hostnameNotInHostsFile(String hostname, Path hostsFile) {
    List<String> lines;
    try {
      lines = Files.readAllLines(hostsFile);
    } catch (IOException e) {
      return Optional.empty();
    }
    for (String line : lines) {
      int hash = line.indexOf('#');
      String[] fields = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
      for (int i = 1; i < fields.length; i++) {
        if (fields[i].equalsIgnoreCase(hostname)) {
          return Optional.empty();
        }
      }
    }
    return Optional.of("hostname " + hostname + " is not in " + hostsFile + ": the mesh library looks it up"
        + " at start, so joining can wait for the DNS resolver's timeout; fix: add `127.0.1.1 " + hostname
        + "` to " + hostsFile);
  }

  /** Logs {@link #hostnameNotInHostsFile} for {@code /etc/hosts}. */
  public static void warnIfHostnameUnresolvedLocally(String hostname) {
    hostnameNotInHostsFile(hostname, Path.of("/etc/hosts")).ifPresent(log::warn);
  }

  /**
   * Turns ip_forward on. When it is off and cannot be written (e.g. a read-only /proc/sys in a container
   * whose init step set it once), the agent keeps running and says so loudly: restarting would not fix
   * it, and the routes of the other nodes still work for traffic this node originates.
   */
  private static Optional<String> ipForward(Dataplane dataplane) {
    String value;
    try {
      value = dataplane.sysctls().get(IP_FORWARD).trim();
    } catch (RuntimeException e) {
      value = "unknown (" + e.getMessage() + ")";
    }
    if ("1".equals(value)) {
      return Optional.empty();
    }
    try {
      dataplane.sysctls().set(IP_FORWARD, "1");
      log.info("turned on {} (pods on other nodes are routed through this one)", IP_FORWARD);
      return Optional.empty();
    } catch (RuntimeException e) {
      String p = IP_FORWARD + " is " + value + " and could not be turned on (" + e.getMessage()
          + "): pods on this node cannot reach other nodes' pods; fix: sysctl -w " + IP_FORWARD
          + "=1 as root (in Kubernetes: the privileged init container, then restart the pod)";
      log.error(p);
      return Optional.of(p);
    }
  }

  /**
   * The preflight's problems with {@code ip_forward} as it is now (status asks on every call): something
   * may turn it off after start, or an operator may fix it without restarting the agent.
   *
   * @param procSys {@code /proc/sys} of this network namespace
   */
  public static List<String> problemsNow(Result preflight, Path procSys) {
    List<String> problems = new ArrayList<>();
    String atStart = null;
    for (String p : preflight.problems()) {
      if (p.startsWith(IP_FORWARD)) {
        atStart = p;
      } else {
        problems.add(p);
      }
    }
    String now;
    try {
      now = Files.readString(procSys.resolve("net/ipv4/ip_forward")).trim();
    } catch (IOException e) {
      now = null;
    }
    if (now == null && atStart != null) {
      problems.add(atStart);
    } else if (now != null && !"1".equals(now)) {
      problems.add(atStart != null ? atStart : IP_FORWARD + " is " + now + " (turned off after weft-agent started):"
          + " pods on this node cannot reach other nodes' pods; fix: sysctl -w " + IP_FORWARD + "=1");
    }
    return problems;
  }

  private static int rpFilter(Dataplane dataplane, String device) {
    try {
      return Integer.parseInt(dataplane.sysctls().get("net.ipv4.conf." + device + ".rp_filter").trim());
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
