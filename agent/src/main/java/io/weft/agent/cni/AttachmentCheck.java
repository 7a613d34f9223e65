package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.ipam.Allocation;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.RouteFilter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every way an attachment differs from what ADD makes (CHECK, and a repeated ADD); empty when it is whole. */
final class AttachmentCheck {
  private AttachmentCheck() {}

  static List<String> differences(Dataplane node, CniNode cni, CniRequest r, Allocation a, String host, Cidr subnet) {
    List<String> problems = new ArrayList<>();
    String cidr = a.address().getHostAddress() + "/" + subnet.prefixLength();
    for (String prev : r.prevIps()) {
      if (!prev.equals(cidr)) {
        problems.add("prevResult address " + prev + " is not the allocated " + cidr);
      }
    }
    onTheNode(node, cni.bridge().name(), host, problems);
    Path netns = r.netns() == null ? null : Path.of(r.netns());
    if (netns == null || !Files.exists(netns)) {
      problems.add("network namespace " + r.netns() + " is missing");
      return problems;
    }
    // The same check as ADD's before anything is opened: CHECK must not read the node's own interfaces.
    cni.namespaceCheck().check(netns);
    try (Dataplane pod = cni.pods().open(netns)) {
      inThePod(pod, r, a.address(), subnet, problems);
    }
    return problems;
  }

  private static void onTheNode(Dataplane node, String bridge, String host, List<String> problems) {
    Optional<Link> br = node.links().byName(bridge);
    Optional<Link> hostLink = node.links().byName(host);
    if (br.isEmpty()) {
      problems.add("bridge " + bridge + " is missing");
    }
    if (hostLink.isEmpty()) {
      problems.add("host interface " + host + " is missing");
      return;
    }
    if (br.isPresent() && hostLink.get().masterIndex() != br.get().index()) {
      problems.add("host interface " + host + " is not attached to " + bridge);
    }
    if (!hostLink.get().up()) {
      problems.add("host interface " + host + " is down");
    }
  }

  private static void inThePod(Dataplane pod, CniRequest r, InetAddress address, Cidr subnet, List<String> problems) {
    Optional<Link> link = pod.links().byName(r.ifname());
    if (link.isEmpty()) {
      problems.add("interface " + r.ifname() + " is missing in " + r.netns());
      return;
    }
    if (!link.get().up()) {
      problems.add("interface " + r.ifname() + " is down");
    }
    Optional<MacAddress> mac = PodAddressing.requestedMac(r);
    if (mac.isPresent() && !mac.get().equals(link.get().mac())) {
      problems.add("interface " + r.ifname() + " has MAC address " + link.get().mac() + ", not " + mac.get());
    }
    boolean hasAddress = false;
    for (InterfaceAddress ia : pod.addresses().list(r.ifname())) {
      hasAddress |= ia.address().equals(address) && ia.prefixLength() == subnet.prefixLength();
    }
    if (!hasAddress) {
      problems.add("address " + address.getHostAddress() + "/" + subnet.prefixLength() + " is missing on " + r.ifname());
    }
    InetAddress gateway = subnet.host(1);
    boolean hasRoute = false;
    for (Route route : pod.routes().list(RouteFilter.mainTable().withDestination(PodAddressing.DEFAULT_ROUTE))) {
      hasRoute |= gateway.equals(route.gateway());
    }
    if (!hasRoute) {
      problems.add("default route via " + gateway.getHostAddress() + " is missing in " + r.netns());
    }
  }
}
