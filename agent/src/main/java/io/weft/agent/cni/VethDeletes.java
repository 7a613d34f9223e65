package io.weft.agent.cni;

import io.weft.dataplane.Dataplane;
import io.weft.dataplane.NetlinkException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host veth deletes of answered DELs, on a thread of their own: the kernel's veth delete costs 15-20 ms
 * of RCU grace periods, which the runtime need not wait for. An ADD handed the address such a pod held, or
 * the same veth name, waits for that delete first, and GC waits for all of them, so nothing ever runs beside
 * an old owner's veth.
 */
final class VethDeletes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VethDeletes.class);

  /** A host veth being deleted and the address its pod held until the DEL. */
  private record Pending(Optional<InetAddress> address, CompletableFuture<Void> done) {}

  private final Supplier<Dataplane> nodeHandles;
  private final ExecutorService deleter = Executors.newSingleThreadExecutor(CniEndpoint.daemon("weft-cni-delete"));
  /** By host veth name. */
  private final ConcurrentMap<String, Pending> pending = new ConcurrentHashMap<>();

  VethDeletes(Supplier<Dataplane> nodeHandles) {
    this.nodeHandles = nodeHandles;
  }

  /** Queues the delete of {@code host}, whose pod held {@code address}; runs it here when shutting down. */
  void queue(String host, Optional<InetAddress> address) {
    Pending p = new Pending(address, new CompletableFuture<>());
    pending.put(host, p);
    try {
      deleter.execute(() -> finish(host, p));
    } catch (RejectedExecutionException shuttingDown) {
      finish(host, p);
    }
  }

  /** Waits for the deletes that hold this veth name or this address (either may be null). */
  void awaitFor(String host, InetAddress address) {
    for (Map.Entry<String, Pending> e : pending.entrySet()) {
      if (e.getKey().equals(host) || (address != null && e.getValue().address().equals(Optional.of(address)))) {
        e.getValue().done().join();
      }
    }
  }

  /** Waits for every queued delete (GC judges which veths are orphans). */
  void awaitAll() {
    pending.values().forEach(p -> p.done().join());
  }

  /**
   * A failure here (not "already gone") leaves a veth no allocation owns; GC's orphan sweep and the removal
   * of the pod's namespace both take it away.
   */
  private void finish(String host, Pending p) {
    try (Dataplane node = nodeHandles.get()) {
      HostVeths.delete(node, host);
    } catch (NetlinkException e) {
      log.warn("CNI: DEL answered, but {} is still there (GC removes it later): {}", host, e.getMessage());
    } finally {
      pending.remove(host, p);
      p.done().complete(null);
    }
  }

  @Override
  public void close() {
    CniEndpoint.shutdown(deleter);
  }
}
