package io.weft.agent.cni;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.api.ApiHandler;
import io.weft.agent.api.ApiResponse;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.agent.ipam.Ipam;
import io.weft.agent.ipam.IpamException;
import io.weft.agent.ipam.IpamHealth;
import io.weft.agent.ipam.IpamReconciler;
import io.weft.agent.ipam.IpamView;
import io.weft.agent.cni.protocol.CniCommand;
import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.cni.protocol.NetworkConfig;
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
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CNI verbs of this node. It owns this node's IPAM and does
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
 * <p>Threading: the IPAM and its files belong to one thread of this endpoint ({@link #onIpam}). The
 * netlink work of a verb runs on the caller's thread (an API worker) with a handle of its own, so pods are
 * set up side by side: ADD for pod A never waits for pod B's kernel work. Verbs on one attachment run one at
 * a time. A DEL is answered once the address is released; the host veth's delete (15-20 ms of RCU grace
 * periods in the kernel) runs right after, on a thread of its own, and an ADD that is handed that address
 * (or reuses that veth name) waits for it first, so no pod ever runs beside the old owner's veth.
 */
public final class CniEndpoint implements CniPlugin.Agent, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CniEndpoint.class);
  private static final Cidr DEFAULT_ROUTE = Cidr.parse("0.0.0.0/0");
  private static final Pattern HOST_VETH = Pattern.compile("weft[0-9a-f]{8}");
  /** st_mode's file-type bits and the regular-file type (stat(2)). */
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;

  /** Verbs on attachments whose keys share a stripe run one at a time; different stripes side by side. */
  private static final int STRIPES = 64;

  private final Supplier<Dataplane> nodeHandles;
  private final PodNamespaces pods;
  private final String bridge;
  private final Supplier<Optional<Cidr>> podSubnet;
  private final IntSupplier podMtu;
  private final Path stateDir;
  private final Clock clock;
  private final ExecutorService ipamOwner;
  private final ExecutorService deleter;
  private final Object[] stripes = new Object[STRIPES];
  private final ObjectMapper json = new ObjectMapper();
  /** Owned by the IPAM thread. */
  private Ipam ipam;
  /** Host veths of answered DELs whose kernel delete is still running, by name. */
  private final ConcurrentMap<String, PendingDelete> pendingDeletes = new ConcurrentHashMap<>();

  private final IpamHealth ipamHealth;
  private final IpamReconciler reconciler;

  /** A host veth being deleted and the address its pod held until the DEL. */
  private record PendingDelete(Optional<InetAddress> address, CompletableFuture<Void> done) {}

  /**
   * @param nodeHandles opens a handle on the node's namespace (one per verb, closed after it)
   * @param pods      opens handles in pod namespaces
   * @param bridge    the node bridge ({@code --bridge}, {@code v-net-0})
   * @param podSubnet this node's /24 once the mesh has agreed it
   * @param podMtu    the node's pod MTU, for configs that name none (read on the API worker: it must not
   *                  touch {@code node})
   * @param stateDir  where IPAM keeps its allocations ({@code --state-dir})
   */
  public CniEndpoint(Supplier<Dataplane> nodeHandles, PodNamespaces pods, String bridge,
      Supplier<Optional<Cidr>> podSubnet, IntSupplier podMtu, Path stateDir, Clock clock) {
    this.nodeHandles = nodeHandles;
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
    this.ipamOwner = Executors.newSingleThreadExecutor(daemon("weft-cni-ipam"));
    this.deleter = Executors.newSingleThreadExecutor(daemon("weft-cni-delete"));
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** The host end of an attachment's veth: {@code weft} + 8 hex of a hash, stable across retries. */
  public static String hostInterfaceName(String containerId, String ifname) {
    return new AttachmentKey(containerId, ifname).hostInterfaceName();
  }

  /** The IPAM's health: state directory, reconcile, unknown owners (for status, readiness, metrics). */
  public IpamHealth ipamHealth() {
    return ipamHealth;
  }

  /** Queues an IPAM reconcile on the IPAM thread (the periodic pass); does not wait for it. */
  public void reconcileIpam() {
    try {
      ipamOwner.execute(() -> {
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

  /** Runs one verb; ADD's result, nothing for the other verbs. */
  @Override
  public Optional<CniResult> execute(CniRequest request) {
    CniRequest cni = request.mtu() == NetworkConfig.NODE_MTU ? request.withMtu(podMtu.getAsInt()) : request;
    if (cni.command() == CniCommand.GC) {
      return run(cni);
    }
    synchronized (stripes[Math.floorMod(key(cni).hashCode(), STRIPES)]) {
      return run(cni);
    }
  }

  /** The allocations of this node, by address (for {@code meshctl status ipam}). */
  public List<Allocation> allocations() {
    return onIpam(() -> {
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
    for (ExecutorService e : List.of(deleter, ipamOwner)) {
      e.shutdown();
      try {
        if (!e.awaitTermination(10, TimeUnit.SECONDS)) {
          e.shutdownNow();
        }
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Runs an IPAM step on the IPAM's own thread and waits for it; its exceptions reach the caller as they are. */
  private <T> T onIpam(Callable<T> task) {
    return await(submitToIpam(task));
  }

  private <T> Future<T> submitToIpam(Callable<T> task) {
    try {
      return ipamOwner.submit(task);
    } catch (RejectedExecutionException e) {
      throw new CniError(CniError.TRY_AGAIN_LATER, "the weft agent is shutting down");
    }
  }

  private static <T> T await(Future<T> step) {
    try {
      return step.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CniError(CniError.TRY_AGAIN_LATER, "interrupted while waiting for the IPAM");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new CniError(CniError.INTERNAL, "unexpected failure in the weft agent's IPAM", String.valueOf(cause));
    }
  }

  // ---- the verbs, on the caller's thread (IPAM steps through onIpam) ----

  private Optional<CniResult> run(CniRequest r) {
    boolean perAttachment = r.command() == CniCommand.ADD || r.command() == CniCommand.DEL || r.command() == CniCommand.CHECK;
    if (perAttachment && (r.containerId() == null || r.ifname() == null)) {
      // CniPlugin checks the environment; this holds for any caller of the endpoint.
      throw new CniError(CniError.INVALID_ENVIRONMENT, r.command() + " needs a container ID and an interface name");
    }
    try (Dataplane node = nodeHandles.get()) {
      return switch (r.command()) {
        case ADD -> Optional.of(add(node, r));
        case DEL -> {
          del(node, r);
          yield Optional.empty();
        }
        case CHECK -> {
          check(node, r);
          yield Optional.empty();
        }
        case GC -> {
          gc(node, r);
          yield Optional.empty();
        }
        case STATUS -> {
          status(node);
          yield Optional.empty();
        }
        case VERSION -> throw new CniError(CniError.INVALID_ENVIRONMENT, "VERSION is answered by the weft executable");
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

  private CniResult add(Dataplane node, CniRequest r) {
    AttachmentKey key = key(r);
    Cidr subnet = requireSubnet();
    if (r.netns() == null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "ADD needs a network namespace");
    }
    Path netns = Path.of(r.netns());
    checkPodNamespace(netns);
    String host = key.hostInterfaceName();
    Optional<MacAddress> mac = requestedMac(r);
    Link bridgeLink = ensureBridge(node, subnet, r.mtu());

    Optional<Allocation> held = onIpam(() -> ipamFor(subnet).find(key));
    if (held.isPresent() && node.links().byName(host).isPresent()) {
      // A repeated ADD (the runtime retried after a timeout): answer again if the attachment is whole.
      List<String> problems = differences(node, r, held.get(), host, subnet);
      if (!problems.isEmpty()) {
        throw new CniError(CniError.CHECK_FAILED, "attachment " + key + " already exists and is incomplete",
            String.join("; ", problems) + " (DEL it first)");
      }
      try (Dataplane pod = pods.open(netns)) {
        return result(node, r, held.get(), subnet, bridgeLink, host, pod, true);
      }
    }

    Rollback rollback = new Rollback();
    // The allocation is chosen and forced to disk on the IPAM thread while this thread builds the veth
    // pair: ADD costs the longer of the two, not their sum. The pod gets its address only once the
    // allocation is durable.
    Future<Allocation> allocating = submitToIpam(() -> ipamFor(subnet).allocate(key, podName(r), r.netns(), requested(r, subnet)));
    try {
      if (held.isEmpty()) {
        // Queued behind the allocation on the IPAM thread, so it undoes it even when it is still running.
        rollback.onFailure("release the address of " + key, () -> onIpam(() -> ipamFor(subnet).release(key)));
      }
      awaitDeletes(host, null);
      try {
        node.links().createVeth(host, r.ifname(), netns, r.mtu());
      } catch (AlreadyExistsException e) {
        throw new CniError(CniError.NETLINK_FAILURE, "could not create veth " + host + " for " + key,
            "an interface named " + host + " on the node or " + r.ifname() + " in " + netns + " already exists");
      }
      rollback.onFailure("delete veth " + host, () -> deleteLink(node, host));
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
        Allocation a = await(allocating);
        awaitDeletes(null, a.address());
        pod.addresses().add(r.ifname(), a.address(), subnet.prefixLength());
        pod.links().setUp(r.ifname());
        boolean routed = true;
        try {
          pod.routes().add(Route.via(DEFAULT_ROUTE, subnet.host(1), r.ifname()));
        } catch (AlreadyExistsException e) {
          // Another network of this pod owns the default route; the spec says to skip ours then.
          log.info("CNI: {} already has a default route; leaving it", key);
          routed = false;
        }
        CniResult result = result(node, r, a, subnet, bridgeLink, host, pod, routed);
        log.info("CNI: ADD {} -> {} on {}", key, a.address().getHostAddress(), host);
        return result;
      }
    } catch (RuntimeException e) {
      rollback.run();
      throw e;
    }
  }

  private void del(Dataplane node, CniRequest r) {
    AttachmentKey key = key(r);
    String host = key.hostInterfaceName();
    Optional<Optional<Allocation>> outcome = onIpam(() -> currentIpam().map(i -> {
      Optional<Allocation> released = i.release(key);
      if (released.isEmpty()) {
        reconciler.releaseNamedByDel(i, key, r.prevIps());
      }
      return released;
    }));
    if (outcome.isEmpty()) {
      deleteLink(node, host);
      throw new CniError(CniError.TRY_AGAIN_LATER, "cannot release the address of " + key + " yet",
          "this node's pod subnet is not agreed yet, so its allocations are not loaded");
    }
    Optional<Allocation> released = outcome.get();
    // Safe to answer before the veth is gone: an ADD handed this address, or this attachment again, waits
    // for the delete (awaitDeletes); the runtime removes the pod's namespace after DEL, which would take
    // the veth with it anyway.
    PendingDelete pending = new PendingDelete(released.map(Allocation::address), new CompletableFuture<>());
    pendingDeletes.put(host, pending);
    try {
      deleter.execute(() -> finishDelete(host, pending));
    } catch (RejectedExecutionException shuttingDown) {
      finishDelete(host, pending);
    }
    log.info("CNI: DEL {}{}", key, released.map(a -> " released " + a.address().getHostAddress()).orElse(" (held no address)"));
  }

  /**
   * The kernel delete of an answered DEL. A failure here (not "already gone") leaves a veth that no
   * allocation owns; GC's orphan sweep and the removal of the pod's namespace both take it away.
   */
  private void finishDelete(String host, PendingDelete pending) {
    try (Dataplane node = nodeHandles.get()) {
      deleteLink(node, host);
    } catch (NetlinkException e) {
      log.warn("CNI: DEL answered, but {} is still there (GC removes it later): {}", host, e.getMessage());
    } finally {
      pendingDeletes.remove(host, pending);
      pending.done().complete(null);
    }
  }

  /** Waits for the deletes of answered DELs that hold this veth name or this address (either may be null). */
  private void awaitDeletes(String host, InetAddress address) {
    for (Map.Entry<String, PendingDelete> e : pendingDeletes.entrySet()) {
      if (e.getKey().equals(host) || (address != null && e.getValue().address().equals(Optional.of(address)))) {
        e.getValue().done().join();
      }
    }
  }

  private void check(Dataplane node, CniRequest r) {
    AttachmentKey key = key(r);
    Cidr subnet = requireSubnet();
    Optional<Allocation> a = onIpam(() -> ipamFor(subnet).find(key));
    if (a.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "CHECK of " + key + " failed", "no address is allocated to it");
    }
    List<String> problems = differences(node, r, a.get(), key.hostInterfaceName(), subnet);
    if (!problems.isEmpty()) {
      throw new CniError(CniError.CHECK_FAILED, "CHECK of " + key + " failed", String.join("; ", problems));
    }
  }

  private void gc(Dataplane node, CniRequest r) {
    if (r.validAttachments() == null) {
      // Read as "nothing is valid" it would tear down every pod on the node.
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "GC needs cni.dev/valid-attachments",
          "the runtime sent no list of valid attachments; nothing was collected");
    }
    Cidr subnet = requireSubnet();
    // GC judges which veths are orphans: the deletes of answered DELs finish first.
    pendingDeletes.values().forEach(p -> p.done().join());
    Set<AttachmentKey> valid = new HashSet<>();
    Set<String> validHosts = new HashSet<>();
    for (NetworkConfig.Attachment a : r.validAttachments()) {
      AttachmentKey k = new AttachmentKey(a.containerId(), a.ifname());
      valid.add(k);
      validHosts.add(k.hostInterfaceName());
    }
    for (AttachmentKey stale : onIpam(() -> ipamFor(subnet).stale(valid))) {
      deleteLink(node, stale.hostInterfaceName());
      onIpam(() -> ipamFor(subnet).release(stale))
          .ifPresent(a -> log.info("CNI: GC released {} of {}", a.address().getHostAddress(), stale));
    }
    // Host ends on our bridge that belong to no valid attachment (an ADD that died before its allocation).
    Optional<Link> br = node.links().byName(bridge);
    if (br.isPresent()) {
      for (Link l : node.links().list()) {
        if (l.masterIndex() == br.get().index() && HOST_VETH.matcher(l.name()).matches() && !validHosts.contains(l.name())) {
          log.info("CNI: GC deleting orphan veth {}", l.name());
          deleteLink(node, l.name());
        }
      }
    }
    onIpam(() -> {
      reconciler.reconcile(ipamFor(subnet), "gc");
      return null;
    });
  }

  /** The node's Weft host veths, wherever they are attached (one detached from the bridge still holds a pod). */
  private Set<String> hostVethsOnNode() {
    Set<String> out = new HashSet<>();
    try (Dataplane node = nodeHandles.get()) {
      for (Link l : node.links().list()) {
        if (HOST_VETH.matcher(l.name()).matches()) {
          out.add(l.name());
        }
      }
    }
    return out;
  }

  private void status(Dataplane node) {
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
  private Link ensureBridge(Dataplane node, Cidr subnet, int mtu) {
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

  /**
   * The pod's namespace file exists, is a namespace file (nsfs shows as a regular file; a FIFO or a device
   * there would hang or mislead the verb) and is not the agent's own namespace (a "pod" interface would land
   * on the host). Only a {@code /proc/PID/ns/net} link is followed; nothing is opened.
   */
  private static void checkPodNamespace(Path netns) {
    LinkOption[] follow = netns.startsWith("/proc") ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    Map<String, Object> pod;
    Map<String, Object> own;
    try {
      pod = Files.readAttributes(netns, "unix:dev,ino,mode", follow);
      own = Files.readAttributes(Path.of("/proc/self/ns/net"), "unix:dev,ino");
    } catch (NoSuchFileException e) {
      throw new CniError(CniError.UNKNOWN_CONTAINER, "network namespace " + netns + " does not exist");
    } catch (IOException | UnsupportedOperationException e) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "cannot check network namespace " + netns, e.toString());
    }
    if ((((Integer) pod.get("mode")) & S_IFMT) != S_IFREG) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + netns + " is not a network namespace",
          "a namespace file (a bind mount of /proc/PID/ns/net) was expected");
    }
    if (pod.get("dev").equals(own.get("dev")) && pod.get("ino").equals(own.get("ino"))) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "CNI_NETNS " + netns + " is the weft agent's own network namespace",
          "a pod's interface would be put on the node itself");
    }
  }

  /** Every way the attachment differs from what ADD makes; empty when it is whole. */
  private List<String> differences(Dataplane node, CniRequest r, Allocation a, String host, Cidr subnet) {
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

  private CniResult result(Dataplane node, CniRequest r, Allocation a, Cidr subnet, Link bridgeLink, String host,
      Dataplane pod, boolean routed) {
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

  private static void deleteLink(Dataplane node, String name) {
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

  /** The IPAM of the current subnet, opened on first use (it reads the state directory); IPAM thread only. */
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
        throw new CniError(CniError.INVALID_NETWORK_CONFIG, "invalid requested address", e.getMessage());
      }
      if (subnet.contains(parsed)) {
        return Optional.of(parsed);
      }
    }
    if (!r.requestedIps().isEmpty()) {
      throw new CniError(CniError.INVALID_NETWORK_CONFIG, "none of the requested addresses (runtimeConfig.ips, "
          + "CNI_ARGS IP) is in this node's pod subnet " + subnet, String.join(", ", r.requestedIps()));
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
