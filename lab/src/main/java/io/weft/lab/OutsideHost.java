package io.weft.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A server on the LAN that is not part of the cluster, as any LAN server or the internet is: namespace
 * {@code wlab-out} on segment 1 with {@value Topology#OUTSIDE_IP}, a route to the lab's segments and none
 * to the cluster CIDR, so a pod's own address gets no reply: only masqueraded traffic comes back. It runs
 * a UDP echo ({@link PodEcho}, port {@value PodEcho#DEFAULT_PORT}) and a {@link TcpProbe} server (port
 * {@value #TCP_PORT}), both answering with the source address they saw.
 */
public final class OutsideHost {
  public static final int TCP_PORT = 7010;

  private final Topology topology;
  private final Teardown teardown;

  OutsideHost(Topology topology, Teardown teardown) {
    this.topology = topology;
    this.teardown = teardown;
  }

  public String name() {
    return topology.outsideNetns();
  }

  public String ip() {
    return Topology.OUTSIDE_IP;
  }

  /** Creates the namespace on segment 1 and starts its servers. */
  void create() {
    String lan = topology.lanNetns();
    teardown.whileUp("creating the outside host", () -> Ip.netnsAdd(name()));
    Ip.in(lan, "link", "add", "out", "type", "veth", "peer", "name", "eth0", "netns", name());
    Ip.in(lan, "link", "set", "out", "master", topology.lanBridge(1), "up");
    Ip.in(name(), "addr", "add", ip() + "/" + Topology.LAN_PREFIX_LENGTH, "dev", "eth0");
    Ip.in(name(), "link", "set", "eth0", "up");
    Ip.in(name(), "link", "set", "lo", "up");
    // The lab's other segments through the router, and nothing for the pods: no way back to 10.244.x.y.
    Ip.in(name(), "route", "add", "192.168.0.0/16", "via", topology.gateway(1));
    // Both live until the lab's teardown kills every process of its namespaces.
    start(PodEcho.class, Integer.toString(PodEcho.DEFAULT_PORT));
    start(TcpProbe.class, "serve", Integer.toString(TCP_PORT));
  }

  private void start(Class<?> main, String... args) {
    // A stdin that never closes: the UDP echo ends with its stdin, and this host outlives the harness with
    // --keep (a demo left up). The lab's teardown kills both processes with the namespace.
    List<String> argv = new ArrayList<>(List.of("sh", "-c", "sleep 2147483647 | exec \"$@\"", main.getSimpleName()));
    argv.addAll(Pod.probeJava(main, args));
    ProcessBuilder builder = new ProcessBuilder(Ip.exec(name(), argv))
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = teardown.whileUp("starting " + main.getSimpleName() + " on the outside host", () -> {
      try {
        return builder.start();
      } catch (IOException e) {
        throw new LabException("could not start " + main.getSimpleName() + " on the outside host: " + e.getMessage(), e);
      }
    });
    try {
      String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
      if (!"ready".equals(first)) {
        throw new LabException(main.getSimpleName() + " on the outside host did not start: it said " + first);
      }
    } catch (IOException e) {
      throw new LabException(main.getSimpleName() + " on the outside host did not start: " + e.getMessage(), e);
    }
  }
}
