package io.weft.agent.cni;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.api.ApiHandler;
import io.weft.agent.api.ApiResponse;
import io.weft.agent.cni.protocol.CniCommand;
import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.cni.protocol.CniRequest;
import io.weft.agent.cni.protocol.CniResult;
import io.weft.agent.cni.protocol.NetworkConfig;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.agent.ipam.IpamException;
import io.weft.agent.ipam.IpamHealth;
import io.weft.agent.ipam.IpamView;
import io.weft.core.net.Cidr;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.NetlinkException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The CNI verbs of this node: hands each request to its verb ({@link AddVerb}, {@link DelVerb},
 * {@link CheckVerb}, {@link GcVerb}, {@link StatusVerb}) and turns IPAM and netlink failures into CNI
 * error codes. The bridge belongs to the convergence loop ({@link OwnedBridge}); this endpoint never
 * changes it.
 *
 * <p>Threading: the IPAM and its files belong to one thread ({@link IpamThread}). The netlink work of a
 * verb runs on the caller's thread (an API worker) with a node handle of its own, so pods are set up side by
 * side: ADD for pod A never waits for pod B's kernel work. Verbs on one attachment run one at a time (a
 * striped lock). A DEL is answered once the address is released; the host veth's delete runs right after on
 * a thread of its own ({@link VethDeletes}).
 */
public final class CniEndpoint implements CniPlugin.Agent, AutoCloseable {
  /** Verbs on attachments whose keys share a stripe run one at a time; different stripes side by side. */
  private static final int STRIPES = 64;

  private final Supplier<Dataplane> nodeHandles;
  private final Supplier<Optional<Cidr>> podSubnet;
  private final IntSupplier podMtu;
  private final IpamThread ipam;
  private final VethDeletes deletes;
  private final Map<CniCommand, CniVerb> verbs = new EnumMap<>(CniCommand.class);
  private final Object[] stripes = new Object[STRIPES];
  private final ObjectMapper json = new ObjectMapper();

  /**
   * @param nodeHandles opens a handle on the node's namespace (one per verb, closed after it)
   * @param pods      opens handles in pod namespaces
   * @param namespaceCheck what a pod's namespace file must be ({@link PodNamespace#ofThisProcess()} in the agent)
   * @param bridge    the node bridge ({@code --bridge}, {@code v-net-0}) and its owner
   * @param podSubnet this node's /24 once the mesh has agreed it
   * @param podMtu    the node's pod MTU, for configs that name none (read on the API worker)
   * @param stateDir  where IPAM keeps its allocations ({@code --state-dir})
   */
  public CniEndpoint(Supplier<Dataplane> nodeHandles, PodNamespaces pods, PodNamespace namespaceCheck,
      OwnedBridge bridge, Supplier<Optional<Cidr>> podSubnet, IntSupplier podMtu, Path stateDir, Clock clock) {
    this.nodeHandles = nodeHandles;
    this.podSubnet = podSubnet;
    this.podMtu = podMtu;
    this.ipam = new IpamThread(stateDir, clock, podSubnet, new HostVeths(nodeHandles));
    this.deletes = new VethDeletes(nodeHandles);
    CniNode node = new CniNode(podSubnet, bridge, ipam, deletes, pods, namespaceCheck);
    verbs.put(CniCommand.ADD, new AddVerb(node));
    verbs.put(CniCommand.DEL, new DelVerb(node));
    verbs.put(CniCommand.CHECK, new CheckVerb(node));
    verbs.put(CniCommand.GC, new GcVerb(node));
    verbs.put(CniCommand.STATUS, new StatusVerb(node));
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops an executor of the endpoint, letting queued work finish for up to 10 s. */
  static void shutdown(ExecutorService executor) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The host end of an attachment's veth: {@code weft} + 8 hex of a hash, stable across retries. */
  public static String hostInterfaceName(String containerId, String ifname) {
    return new AttachmentKey(containerId, ifname).hostInterfaceName();
  }

  /** The IPAM's health: state directory, reconcile, unknown owners (for status, readiness, metrics). */
  public IpamHealth ipamHealth() {
    return ipam.health();
  }

  /** Queues an IPAM reconcile on the IPAM thread (the periodic pass); does not wait for it. */
  public void reconcileIpam() {
    ipam.reconcilePeriodic();
  }

  /** Runs one verb; ADD's result, nothing for the other verbs. */
  @Override
  public Optional<CniResult> execute(CniRequest request) {
    CniRequest cni = request.mtu() == NetworkConfig.NODE_MTU ? request.withMtu(podMtu.getAsInt()) : request;
    if (cni.command() == CniCommand.GC) {
      return run(cni);
    }
    synchronized (stripes[Math.floorMod(CniNode.key(cni).hashCode(), STRIPES)]) {
      return run(cni);
    }
  }

  /** The allocations of this node, by address (for {@code meshctl status ipam}). */
  public List<Allocation> allocations() {
    return ipam.allocations();
  }

  /** {@code GET /v1/ipam}: see {@link IpamView}. */
  public ApiHandler ipamHandler() {
    return request -> {
      String subnet = podSubnet.get().map(Cidr::toString).orElse(null);
      return ApiResponse.json(200, json.writeValueAsString(IpamView.of(subnet, allocations(), ipam.health())));
    };
  }

  @Override
  public void close() {
    deletes.close();
    ipam.close();
  }

  private Optional<CniResult> run(CniRequest r) {
    CniVerb verb = verbs.get(r.command());
    if (verb == null) {
      throw new CniError(CniError.INVALID_ENVIRONMENT, "VERSION is answered by the weft executable");
    }
    boolean perAttachment = r.command() == CniCommand.ADD || r.command() == CniCommand.DEL || r.command() == CniCommand.CHECK;
    if (perAttachment && (r.containerId() == null || r.ifname() == null)) {
      // CniPlugin checks the environment; this holds for any caller of the endpoint.
      throw new CniError(CniError.INVALID_ENVIRONMENT, r.command() + " needs a container ID and an interface name");
    }
    try (Dataplane node = nodeHandles.get()) {
      return verb.run(node, r);
    } catch (IpamException e) {
      if (e.reason() == IpamException.Reason.STORAGE) {
        ipam.health().storageFailed(r.command() + " of " + CniNode.key(r), e.getMessage());
      }
      int code = switch (e.reason()) {
        case EXHAUSTED -> CniError.ADDRESSES_EXHAUSTED;
        case UNAVAILABLE -> CniError.INVALID_NETWORK_CONFIG;
        case STORAGE -> CniError.IO_FAILURE;
      };
      throw new CniError(code, r.command() + " of " + CniNode.key(r) + " failed", e.getMessage());
    } catch (NetlinkException e) {
      throw new CniError(CniError.NETLINK_FAILURE, r.command() + " of " + CniNode.key(r) + " failed", e.getMessage());
    }
  }
}
