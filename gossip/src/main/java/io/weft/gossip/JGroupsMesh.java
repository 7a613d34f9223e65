package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.plan.Plausibility;
import io.weft.gossip.MeshSnapshot.Counters;
import io.weft.gossip.Wire.Msg;
import io.weft.gossip.trust.MeshTrust;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.TP;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh over JGroups: the adapter between the channel and the parts that each do one job. One
 * instance per member; many may live in one JVM (tests).
 *
 * <p>Threads: JGroups' threads only post events to the {@link MeshEventLoop}, whose one thread owns every
 * piece of mesh state here and in the parts, sends, and pushes snapshots; the {@link SeedJoiner}'s
 * connector thread does the blocking work of joining and hands its results to the loop as events.
 *
 * <p>Parts: {@link SeedJoiner} (seeds, probes, retries), {@link Membership} (views: who is up, what a
 * first view and a merge set off), {@link RecordExchange} (the messages and the records they carry),
 * {@link SubnetAgreement} (this node's subnet and record), {@link PeerMemory} (the peers file and the
 * merge candidates), {@link SnapshotPublisher} (snapshots to listeners), {@link MeshState} (what is known
 * of every node), over the {@link MeshTransport}'s stack ({@link MeshStack}).
 *
 * <p>Records: each member multicasts its own record (ANNOUNCE); a joiner asks the coordinator for
 * everything (SYNC, asked twice to close the race with messages sent during the view change); after a
 * merge every member re-announces itself and each old subgroup coordinator multicasts everything it
 * knows. Receivers keep the highest (incarnation, version), so all members converge on the same map.
 * A member is named by its address ({@link NodeAddress}), so the sender of every message is named by the
 * message itself.
 */
public final class JGroupsMesh implements Mesh {
  private static final Logger log = LoggerFactory.getLogger(JGroupsMesh.class);

  private final MeshConfig config;
  /** This node's identity and the name → key bindings its handshakes check. */
  private final MeshTrust trust;
  private final MeshTransport transport;
  private final MeshEventLoop loop;
  private final StateStore store;
  private final Wire wire;
  private final PeerMemory peers;
  private final JoinTimeline timeline = new JoinTimeline();
  private final SeedJoiner joiner;
  private final SnapshotPublisher publisher;
  private final Link link = new Link();
  private final AtomicLong messagesOut = new AtomicLong();
  private volatile boolean closed;
  /** The stack's two Weft protocols and the record exchange: set once by the join, counters read anywhere. */
  private volatile MeshStack.Built stack;
  private volatile RecordExchange records;

  // Owned by the event loop.
  private MeshState state;
  private LocalNode local;
  private JChannel channel;
  private SubnetAgreement agreement;
  private CompletableFuture<NodeRecord> joined;
  private Membership membership;
  private boolean rejoining;

  /**
   * Builds and drops a throwaway JGroups stack (no state, no port, no traffic): call it on a spare thread
   * early in a process's start, so that the join that follows does not pay for a cold stack build.
   */
  public static void warmUp() throws Exception {
    MeshStack.warmUp();
  }

  /**
   * A member over TCP on the config's node IP and port.
   *
   * @param trust this node's identity and key bindings, from its state dir ({@link MeshTrust#open})
   */
  public JGroupsMesh(MeshConfig config, MeshTrust trust) {
    this(config, trust, TcpTransport.secured(Objects.requireNonNull(config, "config"),
        Objects.requireNonNull(trust, "trust")));
  }

  /** A member over another transport (the gossip tests' in-JVM and fault-injecting ones). */
  JGroupsMesh(MeshConfig config, MeshTrust trust, MeshTransport transport) {
    this.config = Objects.requireNonNull(config, "config");
    this.trust = Objects.requireNonNull(trust, "trust");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.wire = new Wire(Plausibility.cap(config.clusterCidr(), config.subnetPrefix()));
    this.loop = new MeshEventLoop(config.endpoint());
    this.store = new StateStore(config.stateDir());
    this.publisher = new SnapshotPublisher(loop, this::takeSnapshot, () -> local == null ? "mesh" : local.name());
    this.peers = new PeerMemory(config, store, transport, publisher::changed);
    this.joiner = new SeedJoiner(config, loop, transport, peers, timeline, new SeedJoiner.Outcome() {
      @Override
      public void seedStatusChanged() {
        publisher.changed();
      }

      @Override
      public void failed(Exception e) {
        fail(e);
      }
    });
  }

  // ---------------------------------------------------------------- public API

  @Override
  public CompletableFuture<NodeRecord> join(LocalNode localNode) {
    Objects.requireNonNull(localNode, "local");
    CompletableFuture<NodeRecord> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(new IllegalStateException("mesh is closed"));
      return f;
    }
    loop.post(() -> startJoin(localNode, f));
    return f;
  }

  @Override
  public void publish(NodeRecord self) {
    Objects.requireNonNull(self, "self");
    loop.post(() -> {
      if (agreement == null) {
        log.warn("publish({}) before join() agreed a subnet: ignored", self.name());
        return;
      }
      agreement.republish(self);
    });
  }

  /** The last snapshot pushed, with the traffic and protocol counters of now. Never waits. */
  @Override
  public MeshSnapshot snapshot() {
    return publisher.latest().withCounters(counters());
  }

  @Override
  public void subscribe(MeshListener listener) {
    publisher.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void forget(String nodeName) {
    Objects.requireNonNull(nodeName, "nodeName");
    loop.post(() -> {
      if (records != null) {
        records.forget(nodeName);
      }
    });
  }

  @Override
  public void leave() {
    if (closed) {
      return;
    }
    closed = true;
    loop.stop(() -> {
      if (membership != null) {
        // A clean stop is the common restart: make sure every current member is remembered.
        membership.rememberMembers();
        membership.left();
      }
      joiner.stop();
      if (channel != null) {
        channel.close();
      }
      joiner.ended("left the mesh");
      if (joined != null && !joined.isDone()) {
        joined.completeExceptionally(new IllegalStateException("mesh closed before join completed"));
      }
      if (state != null) {
        state.view(Set.of(), System.currentTimeMillis());
      }
      publisher.publishNow();
    });
  }

  @Override
  public void close() {
    leave();
  }

  /** The phases of the completed join (the JoinLatency benchmark prints them). */
  String joinBreakdown() {
    return timeline.breakdown();
  }

  // ---------------------------------------------------------------- joining

  private void startJoin(LocalNode localNode, CompletableFuture<NodeRecord> f) {
    if (joined != null) {
      f.completeExceptionally(new IllegalStateException("join() already called on this mesh"));
      return;
    }
    this.local = localNode;
    this.joined = f;
    timeline.started();
    try {
      state = new MeshState(localNode.name(), config.clusterCidr(), config.subnetPrefix(),
          config.allowLoopback(), config.leaseTime(), config.timing().tombstoneTime());
      state.provisionalSelf(localNode, localNode.agentVersion());
      agreement = new SubnetAgreement(config, store, loop, link, state, localNode, trust.identity(),
          publisher::changed, this::selfPublished);
      records = new RecordExchange(wire, state, agreement, peers, trust, link, publisher::changed,
          localNode.name(), config);
      MeshStack.Built built = MeshStack.build(config, transport, localNode.name(),
          transport.probeTargets(peers::candidates), this::rejoin);
      channel = new JChannel(built.protocols());
      stack = built;
      TP tp = channel.getProtocolStack().getTransport();
      if (tp.getDiagnosticsHandler() != null) {
        tp.getDiagnosticsHandler().setEnabled(false);
      }
      membership = new Membership(loop, channel, state, joiner, agreement, peers, link, publisher::changed,
          () -> closed, localNode.name());
      channel.addAddressGenerator(NodeAddress.generator(localNode.name()));
      channel.name(localNode.name()); // JGroups' own log lines; never read back as identity
      channel.setReceiver(new Receiver() {
        @Override
        public void receive(Message msg) {
          Address src = msg.getSrc();
          byte[] data = msg.hasArray() ? msg.getArray() : null;
          int off = msg.hasArray() ? msg.getOffset() : 0;
          int len = msg.hasArray() ? msg.getLength() : 0;
          loop.post(() -> {
            if (!closed) {
              records.received(src, data, off, len);
            }
          });
        }

        @Override
        public void viewAccepted(View v) {
          loop.post(() -> {
            if (!closed) {
              membership.accepted(v);
            }
          });
        }
      });
    } catch (Exception e) {
      fail(new IllegalStateException("could not start the mesh on " + config.endpoint() + ": " + e.getMessage(), e));
      return;
    }
    loop.every(config.timing().housekeeping(), this::housekeeping);
    timeline.stackBuilt();
    joiner.start(channel, localNode.name());
  }

  /**
   * Leaves the current view and joins again (MergeProbe asks for it when this member is alone or
   * excluded while the mesh is reachable). Called from a JGroups thread.
   */
  private void rejoin(String why) {
    loop.post(() -> {
      if (closed || membership.current() == null || rejoining) {
        return;
      }
      rejoining = true;
      membership.left();
      joiner.leaveAndJoinAgain(() -> rejoining = false);
    });
  }

  private void selfPublished(NodeRecord r) {
    long total = timeline.done();
    log.info("{}: in the mesh with pod subnet {} ({}), incarnation {}, after {} ms ({})", r.name(), r.podSubnet(),
        r.subnetSource().name().toLowerCase(Locale.ROOT), r.incarnation(), total, timeline.breakdown());
    // Published before the future completes, so whoever it wakes sees this node's record in snapshot().
    publisher.publishNow();
    joined.complete(r);
  }

  private void fail(Exception e) {
    log.error("{}", e.getMessage());
    if (joined != null) {
      joined.completeExceptionally(e);
    }
    joiner.ended(e.getMessage());
  }

  /** Leases of long-down nodes, old tombstones and unused grants expire. */
  private void housekeeping() {
    if (closed) {
      return;
    }
    joiner.refreshCandidates();
    membership.rememberMembers();
    List<String> removed = state.housekeeping(System.currentTimeMillis());
    for (String name : removed) {
      log.info("{}: lease of node {} expired after {} down: its record is removed and its subnet free",
          local.name(), name, config.leaseTime());
    }
    if (!removed.isEmpty()) {
      publisher.changed();
    }
  }

  // ---------------------------------------------------------------- snapshots

  /** The snapshot of now (on the loop, for the publisher). */
  private MeshSnapshot takeSnapshot() {
    long now = System.currentTimeMillis();
    MeshState.Derived d = state == null ? new MeshState.Derived(Map.of(), List.of(), List.of(), List.of(), Set.of())
        : state.derive(now, link.isCoordinator());
    if (records != null) {
      records.shareHoldings(d.holdings());
    }
    NodeRecord self = state == null ? null : state.self().map(Announcement::record).orElse(null);
    View view = membership == null ? null : membership.current();
    String coord = view == null ? null : NodeAddress.nodeName(view.getCoord()).orElse(null);
    return new MeshSnapshot(self, d.peers(), d.rejected(), d.conflicts(), d.duplicates(), joiner.status(),
        peers.expectedPeers(), view == null ? 0 : view.size(), coord, counters(), now);
  }

  private Counters counters() {
    MeshStack.Built b = stack;
    RecordExchange r = records;
    return new Counters(transport.bytesIn(), transport.bytesOut(), r == null ? 0 : r.messagesIn(), messagesOut.get(),
        r == null ? 0 : r.malformedDropped(), transport.refusedConnections(),
        b == null ? MeshSnapshot.FailureDetection.ZERO : b.failureDetector().counters(),
        b == null ? MeshSnapshot.MergeDetection.ZERO : b.mergeProbe().counters(),
        (r == null ? MeshSnapshot.Refusals.NONE : r.refusals())
            .plus(b == null ? MeshSnapshot.Refusals.NONE : b.sizeGuard().refusals())
            .plus(b == null ? MeshSnapshot.Refusals.NONE : b.requestGuard().refusals()));
  }

  /** The channel as the parts see it: sends and the current view's coordinator. Event loop only. */
  private final class Link implements MeshLink {
    @Override
    public void send(Address member, Msg msg) {
      if (channel == null || !channel.isConnected()) {
        return;
      }
      try {
        channel.send(new BytesMessage(member, wire.encode(msg)));
        messagesOut.incrementAndGet();
      } catch (Exception e) {
        log.warn("{}: could not send {} to {}: {}", local.name(), msg.getClass().getSimpleName(),
            member == null ? "the mesh" : member, e.toString());
      }
    }

    @Override
    public void multicast(Msg msg) {
      send(null, msg);
    }

    @Override
    public Address coordinator() {
      View view = membership == null ? null : membership.current();
      return view == null ? null : view.getCoord();
    }

    @Override
    public boolean isCoordinator() {
      return membership != null && membership.isCoordinator();
    }

    @Override
    public boolean mayRelay(Address member) {
      return membership != null && membership.mayRelay(member);
    }

    @Override
    public boolean isMember(Address member) {
      return membership != null && membership.isMember(member);
    }
  }
}
