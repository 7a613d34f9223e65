package io.weft.gossip;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.protocols.TP;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this node expects peers, and what it remembers of them across restarts: the peers file
 * ({@code mesh-peers.json}: the socket addresses of every member seen) and the merge candidates (seeds,
 * DNS answers, remembered peers and members seen), which the merge probe looks at and which the
 * adoption of routes at start waits for.
 *
 * <p>Owned by the event loop. The candidates are an immutable list in a volatile field, written only
 * by the loop, read by the merge probe's timer ({@link #candidates()}); the DNS lookups and the
 * candidate list's assembly ({@link #collect}) are pure and run on the connector thread, which hands
 * the result to the loop.
 */
final class PeerMemory {
  private static final Logger log = LoggerFactory.getLogger(PeerMemory.class);

  private final MeshConfig config;
  private final StateStore store;
  private final MeshTransport transport;
  private final InetSocketAddress self;
  private final Runnable changed;
  private volatile List<InetSocketAddress> candidates = List.of();
  // Owned by the event loop.
  private Set<InetSocketAddress> written = Set.of();
  /** The node IP of each member of the last view remembered, by node name (owned by the event loop). */
  private Map<String, InetAddress> memberIps = Map.of();

  /** @param changed told (on the loop) when the candidates change: the snapshot's expected peers follow them */
  PeerMemory(MeshConfig config, StateStore store, MeshTransport transport, Runnable changed) {
    this.config = config;
    this.store = store;
    this.transport = transport;
    this.changed = changed;
    this.self = new InetSocketAddress(config.bindAddress(), config.port());
  }

  /** The peers file as it is now. */
  List<InetSocketAddress> remembered() {
    return store.readPeers();
  }

  /**
   * Seeds, then the DNS name's answers (resolved now: this may block), then the remembered peers; this
   * node itself left out. Touches no state: runs on the connector thread.
   */
  List<InetSocketAddress> collect(List<InetSocketAddress> remembered) {
    Set<InetSocketAddress> all = new LinkedHashSet<>(config.seeds());
    if (config.dnsQuery() != null) {
      try {
        for (InetAddress a : InetAddress.getAllByName(config.dnsQuery())) {
          all.add(new InetSocketAddress(a, config.port()));
        }
      } catch (Exception e) {
        log.warn("could not resolve mesh DNS name {}: {}", config.dnsQuery(), e.toString());
      }
    }
    all.addAll(remembered);
    all.remove(self);
    return new ArrayList<>(all);
  }

  /** The merge candidates now: for the merge probe's timer thread. */
  List<InetSocketAddress> candidates() {
    return candidates;
  }

  /** Replaces the merge candidates (on the loop, with the connector's result of {@link #collect}). */
  void setCandidates(Collection<InetSocketAddress> all) {
    replaceCandidates(all.stream().filter(a -> !a.equals(self) && a.getAddress() != null).distinct().toList());
  }

  private void replaceCandidates(List<InetSocketAddress> next) {
    if (!next.equals(candidates)) {
      candidates = next;
      changed.run();
    }
  }

  /**
   * The node IPs of the merge candidates: seeds, DNS answers and remembered peers as of the last join
   * attempt, plus every member seen since.
   */
  List<InetAddress> expectedPeers() {
    return candidates.stream().map(InetSocketAddress::getAddress).distinct().toList();
  }

  /**
   * Adds the socket addresses of a view's other members to the peers file (written only when one is
   * new), so a restart finds the mesh through any of them when every seed is down.
   *
   * @param members the view's members to remember (the caller leaves out forgotten nodes)
   * @return whether every other member's address was known
   */
  boolean remember(JChannel channel, Collection<Address> members) {
    if (!transport.remembersPeers() || channel == null || channel.getAddress() == null) {
      return true;
    }
    TP tp = channel.getProtocolStack().getTransport();
    List<InetSocketAddress> peers = new ArrayList<>();
    boolean complete = true;
    Map<String, InetAddress> ips = new HashMap<>();
    for (Address a : members) {
      if (a.equals(channel.getAddress())) {
        continue;
      }
      Optional<InetSocketAddress> socket = transport.socketAddress(tp, a);
      socket.ifPresent(peers::add);
      socket.ifPresent(sa -> NodeAddress.nodeName(a).ifPresent(name -> ips.put(name, sa.getAddress())));
      complete &= socket.isPresent();
    }
    memberIps = Map.copyOf(ips);
    if (peers.isEmpty() || written.containsAll(peers)) {
      return complete;
    }
    Set<InetSocketAddress> all = new LinkedHashSet<>(peers);
    all.addAll(store.readPeers());
    try {
      store.writePeers(all);
      written = Set.copyOf(peers);
      Set<InetSocketAddress> merge = new LinkedHashSet<>(config.seeds());
      merge.addAll(candidates);
      merge.addAll(all);
      setCandidates(merge);
    } catch (RuntimeException e) {
      log.warn("{}", e.getMessage());
    }
    return complete;
  }

  /**
   * A node forgotten for good (meshctl forget) is no longer a peer to rejoin through, to probe for merges
   * or to wait for at the next start: its address leaves the remembered peers and the merge candidates.
   * The address is its record's, else that of the view member of that name (a node that joined while the
   * forgotten one, dead, was still in the view learns the forget before any record of it). A node that
   * starts after the forget and never saw it learns the tombstone without the address; its wait is bounded
   * by the adoption grace.
   *
   * @param recordIp the node IP its record gives, if this node holds one
   */
  void forget(String localName, String nodeName, Optional<InetAddress> recordIp) {
    Optional<InetAddress> known = recordIp.or(() -> Optional.ofNullable(memberIps.get(nodeName)));
    if (!transport.remembersPeers() || known.isEmpty()) {
      return;
    }
    InetAddress ip = known.get();
    List<InetSocketAddress> remembered = store.readPeers();
    List<InetSocketAddress> kept = remembered.stream().filter(a -> !ip.equals(a.getAddress())).toList();
    if (kept.size() != remembered.size()) {
      log.info("{}: node {} ({}) was forgotten mesh-wide: no longer a remembered peer", localName, nodeName,
          ip.getHostAddress());
      try {
        store.writePeers(kept);
      } catch (RuntimeException e) {
        log.warn("{}", e.getMessage());
      }
    }
    written = written.stream().filter(a -> !ip.equals(a.getAddress())).collect(Collectors.toUnmodifiableSet());
    replaceCandidates(candidates.stream().filter(a -> !ip.equals(a.getAddress())).toList());
  }
}
