package io.weft.agent.cleanup;

import io.weft.agent.RtProtos;
import io.weft.agent.converge.TunnelSettings;
import io.weft.dataplane.Dataplane;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code weft-agent cleanup}: see {@link Cleanup}. Refuses while an agent still answers on the API socket. */
@Command(
    name = "cleanup",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = io.weft.agent.WeftVersion.class,
    description = {
        "Removes Weft's routes, bridge, VXLAN device (weft.vxlan), packet filter chains",
        "(WEFT-FORWARD, WEFT-POSTROUTING and their jumps, in iptables-nft and",
        "iptables-legacy), CNI files and the name of route protocol 87",
        "(rt_protos.d/weft.conf, if Weft wrote it) from this node; nothing else.",
        "Routes: those with protocol 87 (weft), in any table. Stop weft-agent first",
        "(it would put them back).", ""},
    footerHeading = "%nExamples:%n",
    footer = {
        "  weft-agent cleanup",
        "  weft-agent cleanup --bridge v-net-0 --cni-conf-file /etc/cni/net.d/10-weft.conflist"})
public final class CleanupCommand implements Callable<Integer> {
  private final Supplier<Dataplane> dataplane;

  @Spec
  CommandSpec spec;

  @Option(names = "--bridge", paramLabel = "NAME", defaultValue = "v-net-0", description = "Node bridge to remove (default: ${DEFAULT-VALUE}).")
  String bridge;

  @Option(names = "--cni-conf-file", paramLabel = "FILE", defaultValue = "/etc/cni/net.d/10-weft.conflist",
      description = "CNI network config to remove (default: ${DEFAULT-VALUE}).")
  Path cniConf;

  @Option(names = "--cni-bin-file", paramLabel = "FILE", defaultValue = "/opt/cni/bin/weft",
      description = "CNI plugin executable to remove (default: ${DEFAULT-VALUE}).")
  Path cniBin;

  @Option(names = "--rt-protos-dir", paramLabel = "DIR", defaultValue = "/etc/iproute2/rt_protos.d",
      description = "Where the agent named protocol 87: weft.conf is removed if Weft wrote it; 'none' skips it "
          + "(default: ${DEFAULT-VALUE}).")
  String rtProtosDir;

  @Option(names = "--api-socket", paramLabel = "PATH", defaultValue = "/run/weft/weft.sock",
      description = "A running agent's socket: cleanup refuses while it answers (default: ${DEFAULT-VALUE}).")
  Path apiSocket;

  /** @param dataplane opens the handle of this node's namespace */
  public CleanupCommand(Supplier<Dataplane> dataplane) {
    this.dataplane = dataplane;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (agentAnswers(apiSocket)) {
      err.println("weft-agent cleanup: an agent is running (it answers on " + apiSocket + "); stop it first, "
          + "or it puts the routes and the bridge back");
      return 1;
    }
    Cleanup.Result r;
    try (Dataplane dp = dataplane.get()) {
      r = Cleanup.run(dp, bridge, filesToRemove());
    }
    r.routesRemoved().forEach(route -> out.println("removed route " + route));
    out.println(r.bridgeRemoved() ? "removed bridge " + bridge : "bridge " + bridge + " not present");
    out.println(r.tunnelRemoved() ? "removed tunnel device " + TunnelSettings.DEVICE
        : "tunnel device " + TunnelSettings.DEVICE + " not present");
    out.println(r.filterTablesCleaned() > 0
        ? "removed the packet filter chains WEFT-FORWARD and WEFT-POSTROUTING and their jumps"
        : "no packet filter rules of Weft's present");
    r.filesRemoved().forEach(f -> out.println("removed " + f));
    r.notes().forEach(n -> out.println("note: " + n));
    r.errors().forEach(e -> err.println("weft-agent cleanup: " + e));
    out.flush();
    return r.errors().isEmpty() ? 0 : 1;
  }

  private List<Path> filesToRemove() {
    List<Path> files = new ArrayList<>(List.of(cniConf, cniBin));
    if (!"none".equals(rtProtosDir)) {
      RtProtos.writtenByWeft(Path.of(rtProtosDir)).ifPresent(files::add);
    }
    return files;
  }

  private static boolean agentAnswers(Path socket) {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
