package io.weft.agent;

import io.weft.core.net.Cidr;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node bridge ({@code v-net-0}): exists, is up, and holds the gateway (first address) of this node's
 * pod subnet. Idempotent; an address of an older pod subnet is removed when the subnet moved.
 */
public final class NodeBridge {
  private static final Logger log = LoggerFactory.getLogger(NodeBridge.class);

  private final String name;
  private final Cidr clusterCidr;

  public NodeBridge(String name, Cidr clusterCidr) {
    this.name = name;
    this.clusterCidr = clusterCidr;
  }

  /**
   * Makes the bridge hold {@code subnet}'s gateway, with the pods' MTU (a bridge does not fragment: a
   * larger frame than a port's MTU is dropped there); runs on the thread that owns {@code dataplane}.
   */
  public void ensure(Dataplane dataplane, Cidr subnet, int podMtu) {
    Link bridge = dataplane.links().ensureBridge(name, podMtu);
    if (bridge.mtu() != podMtu) {
      log.info("bridge {}: MTU {} -> {} (the pods' MTU)", name, bridge.mtu(), podMtu);
      dataplane.links().setMtu(name, podMtu);
    }
    InetAddress gateway = subnet.host(1);
    boolean present = false;
    for (InterfaceAddress a : dataplane.addresses().list(name)) {
      if (!(a.address() instanceof Inet4Address)) {
        continue;
      }
      if (a.address().equals(gateway) && a.prefixLength() == subnet.prefixLength()) {
        present = true;
      } else if (clusterCidr.contains(a.address())) {
        log.info("removing {} from {}: this node's pod subnet is now {}", a, name, subnet);
        dataplane.addresses().delete(name, a.address(), a.prefixLength());
      }
    }
    if (!present) {
      try {
        dataplane.addresses().add(name, gateway, subnet.prefixLength());
        log.info("bridge {} holds {}/{} (gateway of pod subnet {})", name, gateway.getHostAddress(),
            subnet.prefixLength(), subnet);
      } catch (AlreadyExistsException e) {
        // Added meanwhile (the CNI endpoint ensures it too): the state we want.
      }
    }
    if (!bridge.up()) {
      dataplane.links().setUp(name);
    }
  }

  /** The pod subnet the bridge served before a restart, read from its gateway address. */
  public Optional<Cidr> rememberedSubnet(Dataplane dataplane) {
    if (dataplane.links().byName(name).isEmpty()) {
      return Optional.empty();
    }
    return dataplane.addresses().list(name).stream()
        .filter(a -> a.address() instanceof Inet4Address && clusterCidr.contains(a.address()))
        .map(a -> Cidr.of(a.address(), AgentConfig.SUBNET_PREFIX))
        .findFirst();
  }

  /** True when pod veths are attached: the remembered subnet is in use and must not move. */
  public boolean hasPods(Dataplane dataplane) {
    Optional<Link> bridge = dataplane.links().byName(name);
    return bridge.isPresent()
        && dataplane.links().list().stream().anyMatch(l -> l.masterIndex() == bridge.get().index());
  }
}
