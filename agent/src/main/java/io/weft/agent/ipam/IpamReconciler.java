package io.weft.agent.ipam;

import io.weft.core.net.IpAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.FileSystemException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the IPAM true to the kernel: reads which attachments still exist, lets {@link IpamReconcile}
 * decide, releases what it says and reports to {@link IpamHealth}. Runs on the IPAM's owner thread (at
 * start, after a GC, and periodically), so it never races an ADD or a DEL.
 *
 * <p>Contract for callers that wire pods off the owner thread: an ADD between its allocation and its
 * answer has no veth yet, and only its recorded namespace (which the runtime keeps while it waits) keeps
 * it from being released. Such a caller must run the reconcile only when no ADD is half-way, or see that
 * the agent can read the pods' namespace paths.
 */
public final class IpamReconciler {
  private static final Logger log = LoggerFactory.getLogger(IpamReconciler.class);

  /** The kernel as the reconcile reads it; the caller's handle, on the owner thread. */
  public interface Kernel {
    /** Names of the node's links that are Weft host veths. */
    Set<String> hostVeths();

    /** Whether a pod namespace path (CNI_NETNS) exists. */
    boolean netnsExists(String path);
  }

  private final Kernel kernel;
  private final IpamHealth health;
  private final Clock clock;

  public IpamReconciler(Kernel kernel, IpamHealth health, Clock clock) {
    this.kernel = kernel;
    this.health = health;
    this.clock = clock;
  }

  /** Checks the state directory, then releases what belongs to pods that are gone; {@code why} is logged. */
  public void reconcile(Ipam ipam, String why) {
    try {
      ipam.checkStorage();
      health.storageOk();
    } catch (IOException e) {
      health.storageFailed("the write check", reason(e));
    }
    IpamReconcile.Evidence evidence;
    try {
      Set<String> netns = new HashSet<>();
      for (Allocation a : ipam.list()) {
        if (!a.netns().isEmpty() && kernel.netnsExists(a.netns())) {
          netns.add(a.netns());
        }
      }
      evidence = new IpamReconcile.Evidence(kernel.hostVeths(), netns);
    } catch (RuntimeException e) {
      health.reconcileFailed("could not read the node's links: " + e.getMessage());
      return;
    }
    IpamReconcile.Decision d = IpamReconcile.decide(ipam.list(), evidence);
    List<IpamHealth.Released> released = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (Allocation a : d.release()) {
      String gone = "no host veth " + a.key().hostInterfaceName() + (a.netns().isEmpty() ? ""
          : " and namespace " + a.netns() + " is gone");
      try {
        ipam.release(a.key());
      } catch (IpamException e) {
        failures.add(e.getMessage());
        continue;
      }
      log.info("IPAM: released {} of {}{} ({}): its pod is gone without a DEL reaching the agent",
          a.address().getHostAddress(), a.key(), a.pod().isEmpty() ? "" : " (pod " + a.pod() + ")", gone);
      released.add(new IpamHealth.Released(a.address(), a.key(), a.pod(), clock.instant(), gone));
    }
    if (d.releaseUnknown()) {
      for (UnknownOwner u : ipam.unknownOwners()) {
        try {
          ipam.releaseUnknown(u.address());
        } catch (IpamException e) {
          failures.add(e.getMessage());
          continue;
        }
        String reason = "unreadable record, and every host veth on the node belongs to a readable allocation";
        log.info("IPAM: released {} ({}): no pod on this node can be holding it", u.address().getHostAddress(), reason);
        released.add(new IpamHealth.Released(u.address(), new AttachmentKey("", ""), "", clock.instant(), reason));
      }
    }
    health.reconciled(clock.instant(), released, ipam.unknownOwners(), d.unaccounted(), failures);
    if (!released.isEmpty()) {
      log.info("IPAM: reconcile ({}) released {} address(es); {} allocation(s) kept", why, released.size(), d.keep().size());
    }
  }

  /**
   * A DEL of an attachment that holds no readable allocation frees the addresses its {@code prevResult}
   * names ({@code prevIps}, CIDR or plain) that are reserved with an unreadable record: the runtime has
   * just said whose they were.
   */
  public void releaseNamedByDel(Ipam ipam, AttachmentKey attachment, List<String> prevIps) {
    for (String prev : prevIps) {
      int slash = prev.indexOf('/');
      InetAddress address;
      try {
        address = IpAddresses.parse(slash < 0 ? prev : prev.substring(0, slash));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (ipam.subnet().contains(address) && ipam.releaseUnknown(address).isPresent()) {
        log.info("IPAM: DEL of {} released {} (its allocation record was unreadable)", attachment, address.getHostAddress());
        health.unknownOwnersNow(ipam.unknownOwners());
      }
    }
  }

  /** The file system's reason ("Read-only file system", "No space left on device") with the file. */
  public static String reason(IOException e) {
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason() + (f.getFile() == null ? "" : ": " + f.getFile());
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
