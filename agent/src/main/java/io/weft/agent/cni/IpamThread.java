package io.weft.agent.cni;

import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.ipam.Allocation;
import io.weft.agent.ipam.AttachmentKey;
import io.weft.agent.ipam.Ipam;
import io.weft.agent.ipam.IpamHealth;
import io.weft.agent.ipam.IpamReconciler;
import io.weft.core.net.Cidr;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one thread that owns this node's IPAM: its allocations, their files and the IPAM reconcile. Verbs
 * hand it steps ({@link #call}, {@link #submit}) and get their results or their exceptions as they are; the
 * IPAM of the current pod subnet is opened (and reconciled) on first use.
 */
final class IpamThread implements AutoCloseable {
  private final Path stateDir;
  private final Clock clock;
  private final Supplier<Optional<Cidr>> podSubnet;
  private final IpamHealth health;
  private final IpamReconciler reconciler;
  private final ExecutorService owner = Executors.newSingleThreadExecutor(CniEndpoint.daemon("weft-cni-ipam"));
  /** Owned by the IPAM thread. */
  private Ipam ipam;

  IpamThread(Path stateDir, Clock clock, Supplier<Optional<Cidr>> podSubnet, HostVeths hostVeths) {
    this.stateDir = stateDir;
    this.clock = clock;
    this.podSubnet = podSubnet;
    this.health = new IpamHealth(stateDir);
    this.reconciler = new IpamReconciler(new IpamReconciler.Kernel() {
      @Override
      public Set<String> hostVeths() {
        return hostVeths.onNode();
      }

      @Override
      public boolean netnsExists(String path) {
        return Files.exists(Path.of(path));
      }
    }, health, clock);
  }

  IpamHealth health() {
    return health;
  }

  /** Runs {@code step} with the IPAM of {@code subnet} on the IPAM thread and waits for it. */
  <T> T call(Cidr subnet, Function<Ipam, T> step) {
    return await(submit(subnet, step));
  }

  /** Queues {@code step} with the IPAM of {@code subnet}; the caller awaits it with {@link #await}. */
  <T> Future<T> submit(Cidr subnet, Function<Ipam, T> step) {
    try {
      return owner.submit(() -> step.apply(ipamFor(subnet)));
    } catch (RejectedExecutionException e) {
      throw new CniError(CniError.TRY_AGAIN_LATER, "the weft agent is shutting down");
    }
  }

  /**
   * Runs {@code step} with the IPAM of the current pod subnet and waits; empty when the node has no subnet
   * yet (its allocations are not loaded).
   */
  <T> Optional<T> callIfLoaded(Function<Ipam, T> step) {
    try {
      return await(owner.submit(() -> podSubnet.get().map(s -> step.apply(ipamFor(s)))));
    } catch (RejectedExecutionException e) {
      throw new CniError(CniError.TRY_AGAIN_LATER, "the weft agent is shutting down");
    }
  }

  /** The allocations of this node, by address; none before the node has a subnet. */
  List<Allocation> allocations() {
    return callIfLoaded(Ipam::list).orElse(List.of());
  }

  /** The reconcile of a GC, on the IPAM thread, waited for. */
  void reconcileAfterGc(Cidr subnet) {
    call(subnet, i -> {
      reconciler.reconcile(i, "gc");
      return null;
    });
  }

  /** A DEL that released nothing may name an unreadable record's address in its prevResult. */
  void releaseNamedByDel(Ipam i, AttachmentKey key, List<String> prevIps) {
    reconciler.releaseNamedByDel(i, key, prevIps);
  }

  /** Queues the periodic reconcile; does not wait for it. */
  void reconcilePeriodic() {
    try {
      owner.execute(() -> {
        try {
          podSubnet.get().map(this::ipamFor).ifPresent(i -> reconciler.reconcile(i, "periodic"));
        } catch (CniError e) {
          // ipamFor recorded why the allocations could not be loaded
        }
      });
    } catch (RejectedExecutionException shuttingDown) {
      // the endpoint is closing
    }
  }

  static <T> T await(Future<T> step) {
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

  /** The IPAM of {@code subnet}, opened on first use (it reads the state directory); IPAM thread only. */
  private Ipam ipamFor(Cidr subnet) {
    if (ipam == null || !ipam.subnet().equals(subnet)) {
      try {
        ipam = Ipam.open(stateDir, subnet, clock);
      } catch (IOException e) {
        health.storageFailed("loading the allocations of " + subnet, IpamReconciler.reason(e));
        throw new CniError(CniError.IO_FAILURE, "could not load IPAM state of " + subnet + " from " + stateDir,
            e.getMessage());
      } catch (UncheckedIOException e) {
        health.storageFailed("loading the allocations of " + subnet, e.getMessage());
        throw new CniError(CniError.IO_FAILURE, "could not load IPAM state of " + subnet, e.getMessage());
      }
      reconciler.reconcile(ipam, "start");
    }
    return ipam;
  }

  @Override
  public void close() {
    CniEndpoint.shutdown(owner);
  }
}
