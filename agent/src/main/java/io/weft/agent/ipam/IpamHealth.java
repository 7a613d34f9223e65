package io.weft.agent.ipam;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the IPAM knows about its own health, for {@code meshctl status}, {@code /readyz} and the metrics:
 * whether the state directory can be written, how the last reconcile went, which addresses are reserved
 * with an unknown owner and which were released by a reconcile.
 *
 * <p>Written by the IPAM's owner thread, read by any: each field is replaced whole (volatile), the
 * history is guarded by its own lock.
 */
public final class IpamHealth {
  private static final Logger log = LoggerFactory.getLogger(IpamHealth.class);
  /** Releases kept for {@code meshctl status ipam}; the counter has them all. */
  static final int RELEASED_SHOWN = 32;

  /** An allocation a reconcile released, and why its pod counts as gone. */
  public record Released(InetAddress address, AttachmentKey attachment, String pod, Instant at, String why) {}

  private final Path stateDir;
  private volatile Optional<String> storageProblem = Optional.empty();
  private volatile Optional<String> reconcileProblem = Optional.empty();
  private volatile List<UnknownOwner> unknownOwners = List.of();
  private volatile Set<String> unaccountedVeths = Set.of();
  private volatile Optional<Instant> lastReconcile = Optional.empty();
  private final AtomicLong releasedTotal = new AtomicLong();
  private final Deque<Released> released = new ArrayDeque<>();

  public IpamHealth(Path stateDir) {
    this.stateDir = stateDir;
  }

  /**
   * The state directory refused a write: said once per new reason in the log, with what to do, and kept
   * as a problem until a write succeeds again.
   */
  public void storageFailed(String step, String reason) {
    String problem = "state dir " + stateDir + " cannot be written (" + reason + "): " + step
        + " failed, and every CNI ADD fails with code 5 until it can; make --state-dir writable and give it free space";
    if (!storageProblem.equals(Optional.of(problem))) {
      log.error("IPAM: {}", problem);
    }
    storageProblem = Optional.of(problem);
  }

  public void storageOk() {
    if (storageProblem.isPresent()) {
      log.info("IPAM: state dir {} can be written again", stateDir);
    }
    storageProblem = Optional.empty();
  }

  /** A reconcile could not read the kernel or apply its decision. */
  public void reconcileFailed(String problem) {
    String text = "IPAM reconcile failed: " + problem + "; allocations are not checked against the kernel until it succeeds";
    if (!reconcileProblem.equals(Optional.of(text))) {
      log.warn("{}", text);
    }
    reconcileProblem = Optional.of(text);
  }

  /**
   * A reconcile finished; {@code newlyReleased} are what it released, {@code failures} the releases the
   * state directory refused (the reconcile counts as failed then).
   */
  public void reconciled(Instant at, List<Released> newlyReleased, List<UnknownOwner> unknown, Set<String> unaccounted,
      List<String> failures) {
    synchronized (released) {
      for (Released r : newlyReleased) {
        released.addFirst(r);
        if (released.size() > RELEASED_SHOWN) {
          released.removeLast();
        }
      }
    }
    releasedTotal.addAndGet(newlyReleased.size());
    unknownOwners = List.copyOf(unknown);
    unaccountedVeths = Set.copyOf(unaccounted);
    lastReconcile = Optional.of(at);
    if (!failures.isEmpty()) {
      reconcileFailed(String.join("; ", failures));
      return;
    }
    if (reconcileProblem.isPresent()) {
      log.info("IPAM: reconcile succeeds again");
    }
    reconcileProblem = Optional.empty();
  }

  /** The unknown-owner addresses changed outside a reconcile (a DEL named one). */
  public void unknownOwnersNow(List<UnknownOwner> unknown) {
    unknownOwners = List.copyOf(unknown);
  }

  /** Why the node must not take pods: the state directory or the reconcile is failing. */
  public Optional<String> notReady() {
    return storageProblem.or(() -> reconcileProblem);
  }

  /** Everything an operator should look at, each with what to do. */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    storageProblem.ifPresent(out::add);
    reconcileProblem.ifPresent(out::add);
    List<UnknownOwner> unknown = unknownOwners;
    if (!unknown.isEmpty()) {
      out.add("IPAM: " + unknown.size() + " address(es) reserved with an unreadable allocation record ("
          + String.join(", ", unknown.stream().map(u -> u.address().getHostAddress()).toList())
          + "): kept until a DEL names them or no unaccounted pod veth is left (" + unaccountedVeths.size()
          + " now); see meshctl status ipam");
    }
    return out;
  }

  public List<UnknownOwner> unknownOwners() {
    return unknownOwners;
  }

  /** Host veths that belong to no readable allocation at the last reconcile. */
  public Set<String> unaccountedVeths() {
    return unaccountedVeths;
  }

  /** The latest releases by reconcile, newest first. */
  public List<Released> released() {
    synchronized (released) {
      return List.copyOf(released);
    }
  }

  public long releasedTotal() {
    return releasedTotal.get();
  }

  public Optional<Instant> lastReconcile() {
    return lastReconcile;
  }

  public boolean storageWritable() {
    return storageProblem.isEmpty();
  }
}
