package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.Link;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ADD: the bridge as the loop made it, an address, the veth pair with the container end made directly in
 * the pod's namespace, the host end on the bridge, the requested MAC, the address and the default route in
 * the pod. Any failure undoes every step done. A repeated ADD (the runtime retried after a timeout) of a
 * whole attachment answers the same result again.
 */
record AddVerb(CniNode cni) implements CniVerb {
  private static final Logger log = LoggerFactory.getLogger(AddVerb.class);
  /** How long an ADD waits for the loop's first ensure of the bridge (right after the node got its subnet). */
  static final Duration BRIDGE_WAIT = Duration.ofSeconds(5);

  @Override
  public Optional<CniResult> run(Dataplane node, CniRequest r) {
    AttachmentKey key = CniNode.key(r);
    Cidr subnet = cni.requireSubnet();
    if (r.netns() == null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "ADD needs a network namespace");
    }
    Path netns = Path.of(r.netns());
    cni.namespaceCheck().check(netns);
    String host = key.hostInterfaceName();
    Optional<MacAddress> mac = PodAddressing.requestedMac(r);
    Link bridge = readyBridge(node, subnet);

    Optional<Allocation> held = cni.ipam().call(subnet, i -> i.find(key));
    if (held.isPresent() && node.links().byName(host).isPresent()) {
      return Optional.of(repeated(node, r, held.get(), subnet, bridge, host));
    }

    Rollback rollback = new Rollback();
    // The allocation is chosen and forced to disk on the IPAM thread while this thread builds the veth
    // pair: ADD costs the longer of the two, not their sum. The pod gets its address only once the
    // allocation is durable.
    Future<Allocation> allocating = cni.ipam().submit(subnet,
        i -> i.allocate(key, podName(r), r.netns(), PodAddressing.requestedAddress(r, subnet)));
    try {
      if (held.isEmpty()) {
        // Queued behind the allocation on the IPAM thread, so it undoes it even when it is still running.
        rollback.onFailure("release the address of " + key, () -> cni.ipam().call(subnet, i -> i.release(key)));
      }
      cni.deletes().awaitFor(host, null);
      HostVeths.create(node, host, r.ifname(), netns, r.mtu(), key.toString());
      rollback.onFailure("delete veth " + host, () -> HostVeths.delete(node, host));
      HostVeths.attach(node, host, cni.bridge().name());
      try (Dataplane pod = cni.pods().open(netns)) {
        PodAddressing.prepare(pod, r.ifname(), mac);
        Allocation a = IpamThread.await(allocating);
        cni.deletes().awaitFor(null, a.address());
        boolean routed = PodAddressing.configure(pod, r.ifname(), a.address(), subnet);
        if (!routed) {
          log.info("CNI: {} already has a default route; leaving it", key);
        }
        CniResult result = result(node, r, a, subnet, bridge, host, pod, routed);
        log.info("CNI: ADD {} -> {} on {}", key, a.address().getHostAddress(), host);
        return Optional.of(result);
      }
    } catch (RuntimeException e) {
      rollback.run();
      throw e;
    }
  }

  /** The answer to an ADD of an attachment that exists: the same result if it is whole, else code 111. */
  private CniResult repeated(Dataplane node, CniRequest r, Allocation held, Cidr subnet, Link bridge, String host) {
    List<String> problems = AttachmentCheck.differences(node, cni, r, held, host, subnet);
    if (!problems.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "attachment " + CniNode.key(r) + " already exists and is incomplete",
          String.join("; ", problems) + " (DEL it first)");
    }
    try (Dataplane pod = cni.pods().open(Path.of(r.netns()))) {
      return result(node, r, held, subnet, bridge, host, pod, true);
    }
  }

  /**
   * The bridge once the loop, its owner, has made it for {@code subnet}. Until its first ensure for the
   * subnet (the seconds after the node got it) the ADD asks the loop for one and waits; a bridge that does
   * not come is code 11, for the runtime to retry.
   */
  private Link readyBridge(Dataplane node, Cidr subnet) {
    String name = cni.bridge().name();
    Optional<Link> bridge = cni.bridge().ensuredFor(subnet) ? node.links().byName(name) : Optional.empty();
    if (bridge.isEmpty() && cni.bridge().awaitEnsure(subnet, BRIDGE_WAIT)) {
      bridge = node.links().byName(name);
    }
    return bridge.orElseThrow(() -> new CniError(CniError.TRY_AGAIN_LATER, "bridge " + name + " is not ready yet",
        "the weft agent's convergence loop has not made it for pod subnet " + subnet + " within "
            + BRIDGE_WAIT.toSeconds() + " s; try again shortly"));
  }

  private CniResult result(Dataplane node, CniRequest r, Allocation a, Cidr subnet, Link bridgeLink, String host,
      Dataplane pod, boolean routed) {
    String gateway = subnet.host(1).getHostAddress();
    // Re-read: a bridge has no MAC of its own until its first port joins.
    Link br = node.links().byName(bridgeLink.name()).orElse(bridgeLink);
    List<CniResult.Interface> interfaces = List.of(
        new CniResult.Interface(br.name(), mac(br), 0, null),
        new CniResult.Interface(host, mac(node.links().byName(host).orElse(null)), r.mtu(), null),
        new CniResult.Interface(r.ifname(), mac(pod.links().byName(r.ifname()).orElse(null)), r.mtu(), r.netns()));
    List<CniResult.IpConfig> ips = List.of(
        new CniResult.IpConfig(a.address().getHostAddress() + "/" + subnet.prefixLength(), gateway, 2));
    List<CniResult.RouteEntry> routes = routed ? List.of(new CniResult.RouteEntry("0.0.0.0/0", gateway)) : List.of();
    return new CniResult(interfaces, ips, routes);
  }

  private static String mac(Link l) {
    return l == null || l.mac() == null ? null : l.mac().toString();
  }

  private static String podName(CniRequest r) {
    String ns = r.args().get("K8S_POD_NAMESPACE");
    String name = r.args().get("K8S_POD_NAME");
    return ns != null && name != null ? ns + "/" + name : "";
  }
}
