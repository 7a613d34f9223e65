package io.weft.agent;

import io.weft.agent.cni.OwnedBridge;
import io.weft.core.net.Cidr;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node bridge ({@code v-net-0}) and its one rule: it exists, is up, has the node's pod MTU and holds
 * the gateway (first address) of this node's pod subnet and no other address of the cluster CIDR. Its one
 * owner is the convergence loop, which runs {@link #ensure} at every reconcile (and so after every link or
 * address event that touches it). The CNI verbs only read it: an ADD that comes before the first ensure
 * for the current subnet asks the loop for one and waits ({@link OwnedBridge}).
 */
public final class NodeBridge implements OwnedBridge {
  private static final Logger log = LoggerFactory.getLogger(NodeBridge.class);

  private final String name;
  private final Cidr clusterCidr;
  private final Runnable askOwner;
  /** Guarded by {@code this}: written by the owner after each successful ensure, read by CNI threads. */
  private Cidr ensuredSubnet;
  private long ensures;

  /**
   * @param askOwner asks the owner (the convergence loop) for a reconcile soon; must not block
   */
  public NodeBridge(String name, Cidr clusterCidr, Runnable askOwner) {
    this.name = name;
    this.clusterCidr = clusterCidr;
    this.askOwner = askOwner;
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * Makes the bridge hold {@code subnet}'s gateway, with the pods' MTU (a bridge does not fragment: a
   * larger frame than a port's MTU is dropped there); runs on the owner's thread, with its handle.
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
        // Added between the list and the add (by hand, or an agent of an earlier run): the state we want.
      }
    }
    if (!bridge.up()) {
      dataplane.links().setUp(name);
    }
    synchronized (this) {
      ensuredSubnet = subnet;
      ensures++;
      notifyAll();
    }
  }

  @Override
  public synchronized boolean ensuredFor(Cidr subnet) {
    return subnet.equals(ensuredSubnet);
  }

  @Override
  public boolean awaitEnsure(Cidr subnet, Duration timeout) {
    long before;
    synchronized (this) {
      before = ensures;
    }
    askOwner.run();
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (ensures == before || !subnet.equals(ensuredSubnet)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          Duration wait = Duration.ofNanos(left);
          wait(Math.max(1, wait.toMillis()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
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
