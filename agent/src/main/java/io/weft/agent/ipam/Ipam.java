package io.weft.agent.ipam;

import io.weft.core.net.Cidr;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses of this node's pod subnet and the attachments that hold them, persisted in the state
 * directory.
 *
 * <p>Not thread-safe on purpose: one owner thread (the CNI endpoint's) calls it, so allocation needs no
 * locks and cannot race. Allocations are keyed by attachment (container ID + interface): asking again for
 * an attachment that holds an address returns that address, so a retried ADD never takes a second one.
 *
 * <p>Addresses whose record is unreadable ({@link UnknownOwner}) are never handed out; they are freed only
 * by {@link #releaseUnknown} (a DEL that names the address, or a reconcile that proves no pod holds it).
 */
public final class Ipam {
  private static final Logger log = LoggerFactory.getLogger(Ipam.class);

  private final Cidr subnet;
  private final AllocationStore store;
  private final Clock clock;
  private final Map<AttachmentKey, Allocation> byKey = new HashMap<>();
  private final Map<Long, Allocation> byOffset = new HashMap<>();
  private final Map<Long, UnknownOwner> unknownByOffset = new HashMap<>();
  private long cursor;

  private Ipam(Cidr subnet, AllocationStore store, Clock clock) {
    this.subnet = subnet;
    this.store = store;
    this.clock = clock;
  }

  /**
   * Opens the allocations of {@code subnet} kept under {@code stateDir}.
   *
   * @throws IOException when the state directory cannot be read or created
   */
  public static Ipam open(Path stateDir, Cidr subnet, Clock clock) throws IOException {
    if (!subnet.isIpv4() || subnet.prefixLength() > 30) {
      throw new IllegalArgumentException("pod subnet " + subnet + " must be IPv4 with room for pods (/30 or larger)");
    }
    AllocationStore store = new AllocationStore(stateDir, subnet);
    Ipam ipam = new Ipam(subnet, store, clock);
    AllocationStore.Loaded loaded = store.load();
    for (UnknownOwner u : loaded.unknownOwners()) {
      ipam.unknownByOffset.put(subnet.offsetOf(u.address()), u);
    }
    for (Allocation a : loaded.allocations()) {
      long offset = subnet.offsetOf(a.address());
      Allocation sameKey = ipam.byKey.get(a.key());
      if (!AddressPool.assignable(subnet, offset) || sameKey != null) {
        // Cannot happen through this class; a hand-edited directory is repaired rather than trusted.
        log.warn("IPAM: dropping allocation {} of {} ({})", a.address().getHostAddress(), a.key(),
            sameKey != null ? "attachment already holds " + sameKey.address().getHostAddress() : "reserved address");
        store.delete(a);
        continue;
      }
      ipam.byKey.put(a.key(), a);
      ipam.byOffset.put(offset, a);
    }
    ipam.cursor = store.loadCursor();
    log.info("IPAM: {} allocation(s) in {} loaded from {}{}", ipam.byKey.size(), subnet, store.directory(),
        ipam.unknownByOffset.isEmpty() ? "" : ", " + ipam.unknownByOffset.size() + " address(es) reserved with an unreadable record");
    return ipam;
  }

  public Cidr subnet() {
    return subnet;
  }

  /** The gateway: the first address of the subnet, held by the bridge. */
  public InetAddress gateway() {
    return subnet.host(1);
  }

  /**
   * The attachment's address: the one it already holds, else {@code requested} when given, else the next
   * free one (round-robin). Saved durably before it is returned.
   *
   * @param pod       {@code namespace/name}, or empty
   * @param netns     the pod's network namespace path (CNI_NETNS), kept so a reconcile can tell a live pod
   * @param requested a specific address (the {@code ips} capability), or empty
   * @throws IpamException when the subnet is full, the requested address cannot be given, or the state
   *     directory cannot be written
   */
  public Allocation allocate(AttachmentKey key, String pod, String netns, Optional<InetAddress> requested) {
    Allocation held = byKey.get(key);
    if (held != null) {
      if (requested.isPresent() && !requested.get().equals(held.address())) {
        throw new IpamException(IpamException.Reason.UNAVAILABLE, key + " already holds "
            + held.address().getHostAddress() + ", not the requested " + requested.get().getHostAddress());
      }
      return held;
    }
    long offset;
    if (requested.isPresent()) {
      offset = subnet.offsetOf(requested.get());
      String address = requested.get().getHostAddress();
      if (offset < 0) {
        throw new IpamException(IpamException.Reason.UNAVAILABLE, "requested address " + address + " is outside " + subnet);
      }
      if (!AddressPool.assignable(subnet, offset)) {
        throw new IpamException(IpamException.Reason.UNAVAILABLE,
            "requested address " + address + " is reserved in " + subnet + " (network, gateway or broadcast)");
      }
      Allocation owner = byOffset.get(offset);
      if (owner != null) {
        throw new IpamException(IpamException.Reason.UNAVAILABLE,
            "requested address " + address + " is already held by " + owner.key());
      }
      if (unknownByOffset.containsKey(offset)) {
        throw new IpamException(IpamException.Reason.UNAVAILABLE, "requested address " + address
            + " is held by a pod whose allocation record is unreadable (see meshctl status ipam)");
      }
    } else {
      Set<Long> taken = new HashSet<>(byOffset.keySet());
      taken.addAll(unknownByOffset.keySet());
      offset = AddressPool.next(subnet, cursor, taken);
      if (offset < 0) {
        throw new IpamException(IpamException.Reason.EXHAUSTED, "no free address left in pod subnet " + subnet
            + " (" + byOffset.size() + " allocated" + (unknownByOffset.isEmpty() ? ""
            : ", " + unknownByOffset.size() + " reserved with an unreadable record") + ")");
      }
    }
    Allocation a = new Allocation(key.containerId(), key.ifname(), subnet.host(offset), pod, netns, clock.instant());
    try {
      store.save(a);
    } catch (IOException e) {
      throw new IpamException(IpamException.Reason.STORAGE, "could not save allocation of "
          + a.address().getHostAddress() + " for " + key + ": " + e.getMessage(), e);
    }
    byKey.put(key, a);
    byOffset.put(offset, a);
    if (requested.isEmpty()) {
      cursor = offset;
      try {
        store.saveCursor(offset);
      } catch (IOException e) {
        log.warn("IPAM: could not save the round-robin position: {}", e.toString());
      }
    }
    return a;
  }

  /** The attachment's allocation, if it holds one. */
  public Optional<Allocation> find(AttachmentKey key) {
    return Optional.ofNullable(byKey.get(key));
  }

  /**
   * Frees the attachment's address; empty when it held none (a DEL may come twice).
   *
   * @throws IpamException when the state directory cannot be written (the address stays allocated)
   */
  public Optional<Allocation> release(AttachmentKey key) {
    Allocation a = byKey.get(key);
    if (a == null) {
      return Optional.empty();
    }
    try {
      store.delete(a);
    } catch (IOException e) {
      throw new IpamException(IpamException.Reason.STORAGE, "could not release "
          + a.address().getHostAddress() + " of " + key + ": " + e.getMessage(), e);
    }
    byKey.remove(key);
    byOffset.remove(subnet.offsetOf(a.address()));
    return Optional.of(a);
  }

  /**
   * Frees an address whose record was unreadable; empty when it is not one.
   *
   * @throws IpamException when the state directory cannot be written (the address stays reserved)
   */
  public Optional<UnknownOwner> releaseUnknown(InetAddress address) {
    long offset = subnet.offsetOf(address);
    UnknownOwner u = unknownByOffset.get(offset);
    if (u == null) {
      return Optional.empty();
    }
    try {
      store.delete(address);
    } catch (IOException e) {
      throw new IpamException(IpamException.Reason.STORAGE, "could not release " + address.getHostAddress()
          + " (unreadable record): " + e.getMessage(), e);
    }
    unknownByOffset.remove(offset);
    return Optional.of(u);
  }

  /** Addresses reserved because their record is unreadable, by address. */
  public List<UnknownOwner> unknownOwners() {
    List<UnknownOwner> out = new ArrayList<>(unknownByOffset.values());
    out.sort(Comparator.comparingLong(u -> subnet.offsetOf(u.address())));
    return out;
  }

  /**
   * Fails as the next allocation would when the state directory cannot be written (read-only, full).
   *
   * @throws IOException naming the file system's reason
   */
  public void checkStorage() throws IOException {
    store.checkWritable();
  }

  /** Every allocation, by address. */
  public List<Allocation> list() {
    List<Allocation> out = new ArrayList<>(byKey.values());
    out.sort(Comparator.comparingLong(a -> subnet.offsetOf(a.address())));
    return out;
  }

  /** Attachments holding an address that are not in {@code valid}: what a CNI GC releases. */
  public Set<AttachmentKey> stale(Set<AttachmentKey> valid) {
    Set<AttachmentKey> out = new HashSet<>(byKey.keySet());
    out.removeAll(valid);
    return out;
  }
}
