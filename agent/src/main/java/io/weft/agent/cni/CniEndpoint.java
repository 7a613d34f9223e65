package io.weft.agent.cni;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.api.ApiHandler;
import io.weft.agent.api.ApiRequest;
import io.weft.agent.api.ApiResponse;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.agent.ipam.Ipam;
import io.weft.agent.ipam.IpamException;
import io.weft.agent.ipam.IpamHealth;
import io.weft.agent.ipam.IpamReconciler;
import io.weft.agent.ipam.IpamView;
import io.weft.cni.CniCommand;
import io.weft.cni.CniError;
import io.weft.cni.CniReply;
import io.weft.cni.CniRequest;
import io.weft.cni.CniResult;
import io.weft.cni.JsonException;
import io.weft.cni.NetworkConfig;
import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.InterfaceAddress;
import io.weft.dataplane.Link;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.NotFoundException;
import io.weft.dataplane.RouteFilter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/cni}: the agent's side of the {@code weft} CNI plugin. It owns this node's IPAM and does
 * the netlink work of each verb, reading like the recipe it automates:
 *
 * <ul>
 *   <li>ADD: ensure the bridge and its gateway address, allocate an address, create the veth pair with
 *       the container end made directly in the pod's namespace, attach the host end to the bridge, give
 *       the container end the requested MAC address if any, put the address and the default route on
 *       it. Any failure undoes every step done.
 *   <li>DEL: release the address, then delete the host end (the container end goes with it); whatever
 *       is already gone counts as done, so DEL can be repeated and works after the namespace is gone.
 *       The reply goes out once the address is released and the delete is queued: the kernel's veth
 *       delete (15-20 ms of RCU grace periods) runs right after the reply, and any later ADD or GC waits
 *       for it first, so no ADD ever runs beside the old veth (see {@link #finishDeletes}).
 *   <li>CHECK: compare the attachment with what ADD made, and name every difference.
 *   <li>GC: release what belongs to attachments the runtime no longer lists.
 *   <li>IPAM reconcile (at start, after GC, and on {@link #reconcileIpam}): release what belongs to pods
 *       that are gone without a DEL (see {@link IpamReconciler}).
 *   <li>STATUS: ready once the node has its pod subnet and the bridge exists.
 * </ul>
 *
 * <p>Threading: all verbs, the IPAM and the {@code node} handle belong to one thread of this endpoint;
 * {@link #handle} (on API workers) queues the verb there and waits. Netlink work per pod is a few
 * milliseconds, so one thread keeps up with pod churn and needs no locks.
 */
public final class CniEndpoint implements ApiHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CniEndpoint.class);
  private static final Cidr DEFAULT_ROUTE = Cidr.parse("0.0.0.0/0");
  private static final Pattern HOST_VETH = Pattern.compile("weft[0-9a-f]{8}");

  private final Dataplane node;
  private final PodNamespaces pods;
  private final String bridge;
  private final Supplier<Optional<Cidr>> podSubnet;
  private final IntSupplier podMtu;
  private final Path stateDir;
  private final Clock clock;
  private final ExecutorService owner;
  private final ObjectMapper json = new ObjectMapper();
  /** Owned by the endpoint thread. */
  private Ipam ipam;
  /** Host veths whose DEL was answered and whose kernel delete is still to do; owned by the endpoint thread. */
  private final Deque<String> pendingDeletes = new ArrayDeque<>();
  private final IpamHealth ipamHealth;
  private final IpamReconciler reconciler;

  /**
   * @param node      handle on the node's namespace, used only from this endpoint's thread (the caller
   *                  opens one for the endpoint, and closes it after {@link #close()})
   * @param pods      opens handles in pod namespaces
   * @param bridge    the node bridge ({@code --bridge}, {@code v-net-0})
   * @param podSubnet this node's /24 once the mesh has agreed it
   * @param podMtu    the node's pod MTU, for configs that name none (read on the API worker: it must not
   *                  touch {@code node})
   * @param stateDir  where IPAM keeps its allocations ({@code --state-dir})
   */
  public CniEndpoint(Dataplane node, PodNamespaces pods, String bridge, Supplier<Optional<Cidr>> podSubnet,
      IntSupplier podMtu, Path stateDir, Clock clock) {
    this.node = node;
    this.pods = pods;
    this.bridge = bridge;
    this.podSubnet = podSubnet;
    this.podMtu = podMtu;
    this.stateDir = stateDir;
    this.clock = clock;
    this.ipamHealth = new IpamHealth(stateDir);
    this.reconciler = new IpamReconciler(new IpamReconciler.Kernel() {
      @Override
      public Set<String> hostVeths() {
        return hostVethsOnNode();
      }

      @Override
      public boolean netnsExists(String path) {
        return Files.exists(Path.of(path));
      }
    }, ipamHealth, clock);
    this.owner = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "weft-cni");
      t.setDaemon(true);
      return t;
    });
  }

  /** The host end of an attachment's veth: {@code weft} + 8 hex of a hash, stable across retries. */
  public static String hostInterfaceName(String containerId, String ifname) {
    return new AttachmentKey(containerId, ifname).hostInterfaceName();
  }

  /** The IPAM's health: state directory, reconcile, unknown owners (for status, readiness, metrics). */
  public IpamHealth ipamHealth() {
    return ipamHealth;
  }

  /** Queues an IPAM reconcile on the owner thread (the periodic pass); does not wait for it. */
  public void reconcileIpam() {
    try {
      owner.execute(() -> {
        try {
          currentIpam().ifPresent(i -> reconciler.reconcile(i, "periodic"));
        } catch (CniError e) {
          // ipamFor recorded why the allocations could not be loaded
        }
      });
    } catch (RejectedExecutionException shuttingDown) {
      // the endpoint is closing
    }
  }

  @Override
  public ApiResponse handle(ApiRequest request) {
    CniRequest cni;
    try {
      CniRequest parsed = CniRequest.fromJson(new String(request.body(), StandardCharsets.UTF_8));
      cni = parsed.mtu() == NetworkConfig.NODE_MTU ? parsed.withMtu(podMtu.getAsInt()) : parsed;
    } catch (JsonException e) {
      return ApiResponse.json(400, CniReply.failed(
          new CniError(CniError.DECODING_FAILURE, "malformed CNI request", e.getMessage())));
    }
    try {
      return ApiResponse.json(200, onOwner(() -> execute(cni)));
    } catch (CniError e) {
      return ApiResponse.json(200, CniReply.failed(e));
    }
  }

  /** The allocations of this node, by address (for {@code meshctl status ipam}). */
  public List<Allocation> allocations() {
    return onOwner(() -> {
      Optional<Ipam> i = currentIpam();
      return i.isPresent() ? i.get().list() : List.<Allocation>of();
    });
  }

  /** {@code GET /v1/ipam}: see {@link IpamView}. */
  public ApiHandler ipamHandler() {
    return request -> {
      String subnet = podSubnet.get().map(Cidr::toString).orElse(null);
      return ApiResponse.json(200, json.writeValueAsString(IpamView.of(subnet, allocations(), ipamHealth)));
    };
  }

  @Override
  public void close() {
    owner.shutdown();
    try {
      if (!owner.awaitTermination(10, TimeUnit.SECONDS)) {
        owner.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T> T onOwner(Callable<T> task) {
    try {
      return owner.submit(task).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CniError(CniError.TRY_AGAIN_LATER, "interrupted while waiting for the CNI worker");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CniError c) {
        throw c;
      }
      log.error("CNI: unexpected failure", cause);
      throw new CniError(CniError.INTERNAL, "unexpected failure in the weft agent", String.valueOf(cause));
    } catch (RejectedExecutionException e) {
      throw new CniError(CniError.TRY_AGAIN_LATER, "the weft agent is shutting down");
    }
  }

  // ---- the verbs, on the owner thread ----

  private String execute(CniRequest r) {
    boolean perAttachment = r.command() == CniCommand.ADD || r.command() == CniCommand.DEL || r.command() == CniCommand.CHECK;
    if (perAttachment && (r.containerId() == null || r.ifname() == null)) {
      // The plugin checks its environment, but the API may be called by anything that reaches the socket.
      throw new CniError(CniError.INVALID_ENVIRONMENT, r.command() + " needs a container ID and an interface name");
    }
    if (r.command() == CniCommand.ADD || r.command() == CniCommand.GC) {
      // An ADD may be handed the address a queued delete's veth still holds in its pod (or be the same
      // attachment again); GC judges which veths are orphans. Other verbs never touch another
      // attachment's veth, so a burst of DELs is answered without waiting for each other's deletes.
      finishDeletes();
    }
    try {
      return switch (r.command()) {
        case ADD -> CniReply.ok(add(r));
        case DEL -> {
          del(r);
          yield CniReply.ok();
        }
        case CHECK -> {
          check(r);
          yield CniReply.ok();
        }
        case GC -> {
          gc(r);
          yield CniReply.ok();
        }
        case STATUS -> {
          status();
          yield CniReply.ok();
        }
        case VERSION -> throw new CniError(CniError.INVALID_ENVIRONMENT, "VERSION is answered by the plugin");
      };
    } catch (IpamException e) {
      if (e.reason() == IpamException.Reason.STORAGE) {
        ipamHealth.storageFailed(r.command() + " of " + key(r), e.getMessage());
      }
      int code = switch (e.reason()) {
        case EXHAUSTED -> CniError.ADDRESSES_EXHAUSTED;
        case UNAVAILABLE -> CniError.INVALID_NETWORK_CONFIG;
        case STORAGE -> CniError.IO_FAILURE;
      };
      throw new CniError(code, r.command() + " of " + key(r) + " failed", e.getMessage());
    } catch (NetlinkException e) {
      throw new CniError(CniError.NETLINK_FAILURE, r.command() + " of " + key(r) + " failed", e.getMessage());
    }
  }

  private CniResult add(CniRequest r) {
    AttachmentKey key = key(r);
    Cidr subnet = requireSubnet();
    Ipam ipam = ipamFor(subnet);
    if (r.netns() == null || r.containerId() == null || r.ifname() == null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "ADD needs a container ID, a network namespace and an interface name");
    }
    Path netns = Path.of(r.netns());
    if (!Files.exists(netns)) {
      throw new CniError(CniError.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist");
    }
    String host = hostInterfaceName(r.containerId(), r.ifname());
    Optional<MacAddress> mac = requestedMac(r);
    InetAddress gateway = ipam.gateway();
    Link bridgeLink = ensureBridge(subnet, r.mtu());

    Optional<Allocation> held = ipam.find(key);
    if (held.isPresent() && node.links().byName(host).isPresent()) {
      // A repeated ADD (the runtime retried after a timeout): answer again if the attachment is whole.
      List<String> problems = differences(r, held.get(), host, subnet);
      if (!problems.isEmpty()) {
        throw new CniError(CniError.CHECK_FAILED, "attachment " + key + " already exists and is incomplete",
            String.join("; ", problems) + " (DEL it first)");
      }
      try (Dataplane pod = pods.open(netns)) {
        return result(r, held.get(), subnet, bridgeLink, host, pod, true);
      }
    }

    Rollback rollback = new Rollback();
    try {
      Allocation a = ipam.allocate(key, podName(r), r.netns(), requested(r, subnet));
      if (held.isEmpty()) {
        rollback.onFailure("release " + a.address().getHostAddress(), () -> ipam.release(key));
      }
      try {
        node.links().createVeth(host, r.ifname(), netns, r.mtu());
      } catch (AlreadyExistsException e) {
        throw new CniError(CniError.NETLINK_FAILURE, "could not create veth " + host + " for " + key,
            "an interface named " + host + " on the node or " + r.ifname() + " in " + netns + " already exists");
      }
      rollback.onFailure("delete veth " + host, () -> deleteLink(host));
      node.links().setMaster(host, bridge);
      node.links().setHairpin(host, true);
      node.links().setUp(host);
      try (Dataplane pod = pods.open(netns)) {
        // Announce the address with a gratuitous ARP when the link comes up, so neighbours that cached a
        // previous owner of this address learn the new MAC at once. Over rtnetlink: the agent's container
        // has a read-only /proc/sys.
        pod.links().setArpNotify(r.ifname(), true);
        if (mac.isPresent()) {
          pod.links().setMac(r.ifname(), mac.get());
        }
        pod.addresses().add(r.ifname(), a.address(), subnet.prefixLength());
        pod.links().setUp(r.ifname());
        boolean routed = true;
        try {
          pod.routes().add(Route.via(DEFAULT_ROUTE, gateway, r.ifname()));
        } catch (AlreadyExistsException e) {
          // Another network of this pod owns the default route; the spec says to skip ours then.
          log.info("CNI: {} already has a default route; leaving it", key);
          routed = false;
        }
        CniResult result = result(r, a, subnet, bridgeLink, host, pod, routed);
        log.info("CNI: ADD {} -> {} on {}", key, a.address().getHostAddress(), host);
        return result;
      }
    } catch (RuntimeException e) {
      rollback.run();
      throw e;
    }
  }

  private void del(CniRequest r) {
    AttachmentKey key = key(r);
    String host = hostInterfaceName(r.containerId(), r.ifname());
    Optional<Ipam> ipam = currentIpam();
    if (ipam.isEmpty()) {
      deleteLink(host);
      throw new CniError(CniError.TRY_AGAIN_LATER, "cannot release the address of " + key + " yet",
          "this node's pod subnet is not agreed yet, so its allocations are not loaded");
    }
    Optional<Allocation> released = ipam.get().release(key);
    if (released.isEmpty()) {
      reconciler.releaseNamedByDel(ipam.get(), key, r.prevIps());
    }
    // Safe to answer before the veth is gone: this thread runs every verb, and ADD and GC first finish the
    // queued deletes, so no later ADD (which might get this address again) runs beside the old veth; the
    // runtime removes the pod's namespace after DEL, which would take the veth with it anyway.
    pendingDeletes.add(host);
    try {
      owner.execute(this::finishDeletes);
    } catch (RejectedExecutionException shuttingDown) {
      finishDeletes();
    }
    log.info("CNI: DEL {}{}", key, released.map(a -> " released " + a.address().getHostAddress()).orElse(" (held no address)"));
  }

  /**
   * The kernel deletes of answered DELs. A failure here (not "already gone") leaves a veth that no
   * allocation owns; GC's orphan sweep and the removal of the pod's namespace both take it away.
   */
  private void finishDeletes() {
    while (!pendingDeletes.isEmpty()) {
      String host = pendingDeletes.poll();
      try {
        deleteLink(host);
      } catch (NetlinkException e) {
        log.warn("CNI: DEL answered, but {} is still there (GC removes it later): {}", host, e.getMessage());
      }
    }
  }

  private void check(CniRequest r) {
    AttachmentKey key = key(r);
    Cidr subnet = requireSubnet();
    Optional<Allocation> a = ipamFor(subnet).find(key);
    if (a.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "CHECK of " + key + " failed", "no address is allocated to it");
    }
    List<String> problems = differences(r, a.get(), hostInterfaceName(r.containerId(), r.ifname()), subnet);
    if (!problems.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "CHECK of " + key + " failed", String.join("; ", problems));
    }
  }

  private void gc(CniRequest r) {
    if (r.validAttachments() == null) {
      // Read as "nothing is valid" it would tear down every pod on the node.
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "GC needs cni.dev/valid-attachments",
          "the runtime sent no list of valid attachments; nothing was collected");
    }
    Cidr subnet = requireSubnet();
    Ipam ipam = ipamFor(subnet);
    Set<AttachmentKey> valid = new HashSet<>();
    Set<String> validHosts = new HashSet<>();
    for (NetworkConfig.Attachment a : r.validAttachments()) {
      valid.add(new AttachmentKey(a.containerId(), a.ifname()));
      validHosts.add(hostInterfaceName(a.containerId(), a.ifname()));
    }
    for (AttachmentKey stale : ipam.stale(valid)) {
      deleteLink(hostInterfaceName(stale.containerId(), stale.ifname()));
      ipam.release(stale).ifPresent(a -> log.info("CNI: GC released {} of {}", a.address().getHostAddress(), stale));
    }
    // Host ends on our bridge that belong to no valid attachment (an ADD that died before its allocation).
    Optional<Link> br = node.links().byName(bridge);
    if (br.isPresent()) {
      for (Link l : node.links().list()) {
        if (l.masterIndex() == br.get().index() && HOST_VETH.matcher(l.name()).matches() && !validHosts.contains(l.name())) {
          log.info("CNI: GC deleting orphan veth {}", l.name());
          deleteLink(l.name());
        }
      }
    }
    reconciler.reconcile(ipam, "gc");
  }

  /** The node's Weft host veths, wherever they are attached (one detached from the bridge still holds a pod). */
  private Set<String> hostVethsOnNode() {
    Set<String> out = new HashSet<>();
    for (Link l : node.links().list()) {
      if (HOST_VETH.matcher(l.name()).matches()) {
        out.add(l.name());
      }
    }
    return out;
  }

  private void status() {
    Optional<Cidr> subnet = podSubnet.get();
    if (subnet.isEmpty()) {
      throw new CniError(CniError.PLUGIN_NOT_AVAILABLE, "weft is not ready",
          "this node has no pod subnet yet (the mesh has not agreed one)");
    }
    if (node.links().byName(bridge).isEmpty()) {
      throw new CniError(CniError.PLUGIN_NOT_AVAILABLE, "weft is not ready", "bridge " + bridge + " does not exist yet");
    }
  }

  // ---- steps ----

  /** The bridge, its gateway address and up; "already there" is success, the kernel's view is re-read. */
  private Link ensureBridge(Cidr subnet, int mtu) {
    Link br = node.links().ensureBridge(bridge, mtu);
    InetAddress gateway = subnet.host(1);
    boolean hasGateway = false;
    for (InterfaceAddress a : node.addresses().list(bridge)) {
      hasGateway |= a.address().equals(gateway);
    }
    if (!hasGateway) {
      try {
        node.addresses().add(bridge, gateway, subnet.prefixLength());
      } catch (AlreadyExistsException raced) {
        // someone (a previous agent run) added it between the list and the add
      }
    }
    if (!br.up()) {
      node.links().setUp(bridge);
    }
    return br;
  }

  /** Every way the attachment differs from what ADD makes; empty when it is whole. */
  private List<String> differences(CniRequest r, Allocation a, String host, Cidr subnet) {
    List<String> problems = new ArrayList<>();
    String cidr = a.address().getHostAddress() + "/" + subnet.prefixLength();
    for (String prev : r.prevIps()) {
      if (!prev.equals(cidr)) {
        problems.add("prevResult address " + prev + " is not the allocated " + cidr);
      }
    }
    Optional<Link> br = node.links().byName(bridge);
    Optional<Link> hostLink = node.links().byName(host);
    if (br.isEmpty()) {
      problems.add("bridge " + bridge + " is missing");
    }
    if (hostLink.isEmpty()) {
      problems.add("host interface " + host + " is missing");
    } else {
      if (br.isPresent() && hostLink.get().masterIndex() != br.get().index()) {
        problems.add("host interface " + host + " is not attached to " + bridge);
      }
      if (!hostLink.get().up()) {
        problems.add("host interface " + host + " is down");
      }
    }
    if (r.netns() == null || !Files.exists(Path.of(r.netns()))) {
      problems.add("network namespace " + r.netns() + " is missing");
      return problems;
    }
    try (Dataplane pod = pods.open(Path.of(r.netns()))) {
      Optional<Link> link = pod.links().byName(r.ifname());
      if (link.isEmpty()) {
        problems.add("interface " + r.ifname() + " is missing in " + r.netns());
        return problems;
      }
      if (!link.get().up()) {
        problems.add("interface " + r.ifname() + " is down");
      }
      Optional<MacAddress> mac = requestedMac(r);
      if (mac.isPresent() && !mac.get().equals(link.get().mac())) {
        problems.add("interface " + r.ifname() + " has MAC address " + link.get().mac() + ", not " + mac.get());
      }
      boolean hasAddress = false;
      for (InterfaceAddress ia : pod.addresses().list(r.ifname())) {
        hasAddress |= ia.address().equals(a.address()) && ia.prefixLength() == subnet.prefixLength();
      }
      if (!hasAddress) {
        problems.add("address " + cidr + " is missing on " + r.ifname());
      }
      InetAddress gateway = subnet.host(1);
      boolean hasRoute = false;
      for (Route route : pod.routes().list(RouteFilter.mainTable().withDestination(DEFAULT_ROUTE))) {
        hasRoute |= gateway.equals(route.gateway());
      }
      if (!hasRoute) {
        problems.add("default route via " + gateway.getHostAddress() + " is missing in " + r.netns());
      }
    }
    return problems;
  }

  private CniResult result(CniRequest r, Allocation a, Cidr subnet, Link bridgeLink, String host, Dataplane pod,
      boolean routed) {
    String gateway = subnet.host(1).getHostAddress();
    // Re-read: a bridge has no MAC of its own until its first port joins.
    Link br = node.links().byName(bridge).orElse(bridgeLink);
    List<CniResult.Interface> interfaces = List.of(
        new CniResult.Interface(bridge, mac(br), 0, null),
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

  private void deleteLink(String name) {
    try {
      node.links().delete(name);
    } catch (NoSuchDeviceException | NotFoundException gone) {
      // already gone: the pod's namespace went away, or a previous DEL did it
    }
  }

  private Cidr requireSubnet() {
    return podSubnet.get().orElseThrow(() -> new CniError(CniError.TRY_AGAIN_LATER,
        "this node has no pod subnet yet", "the mesh has not agreed this node's /24; try again shortly"));
  }

  /** The IPAM of the current subnet, opened on first use (it reads the state directory). */
  private Ipam ipamFor(Cidr subnet) {
    if (ipam == null || !ipam.subnet().equals(subnet)) {
      try {
        ipam = Ipam.open(stateDir, subnet, clock);
      } catch (IOException e) {
        ipamHealth.storageFailed("loading the allocations of " + subnet, IpamReconciler.reason(e));
        throw new CniError(CniError.IO_FAILURE, "could not load IPAM state of " + subnet + " from " + stateDir,
            e.getMessage());
      } catch (UncheckedIOException e) {
        ipamHealth.storageFailed("loading the allocations of " + subnet, e.getMessage());
        throw new CniError(CniError.IO_FAILURE, "could not load IPAM state of " + subnet, e.getMessage());
      }
      reconciler.reconcile(ipam, "start");
    }
    return ipam;
  }

  private Optional<Ipam> currentIpam() {
    return podSubnet.get().map(this::ipamFor);
  }

  private static Optional<InetAddress> requested(CniRequest r, Cidr subnet) {
    for (String ip : r.requestedIps()) {
      int slash = ip.indexOf('/');
      String address = slash < 0 ? ip : ip.substring(0, slash);
      InetAddress parsed;
      try {
        parsed = IpAddresses.parse(address);
      } catch (IllegalArgumentException e) {
        throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid runtimeConfig.ips", e.getMessage());
      }
      if (subnet.contains(parsed)) {
        return Optional.of(parsed);
      }
    }
    if (!r.requestedIps().isEmpty()) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "runtimeConfig.ips has no address in this node's pod subnet "
          + subnet, String.join(", ", r.requestedIps()));
    }
    return Optional.empty();
  }

  private static Optional<MacAddress> requestedMac(CniRequest r) {
    if (r.mac() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(MacAddress.parse(r.mac()));
    } catch (IllegalArgumentException e) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid MAC address for " + key(r), e.getMessage());
    }
  }

  private static String podName(CniRequest r) {
    String ns = r.args().get("K8S_POD_NAMESPACE");
    String name = r.args().get("K8S_POD_NAME");
    return ns != null && name != null ? ns + "/" + name : "";
  }

  private static AttachmentKey key(CniRequest r) {
    return new AttachmentKey(r.containerId() == null ? "" : r.containerId(), r.ifname() == null ? "" : r.ifname());
  }
}
