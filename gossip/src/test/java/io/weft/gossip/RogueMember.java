package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.gossip.trust.MeshTrust;
import io.weft.gossip.trust.NodeIdentity;
import io.weft.gossip.trust.Statement;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;

/**
 * A member gone bad: it holds the mesh's secret and a node key of its own, joins through the real handshake
 * and JGroups stack ({@link MeshStack} over {@link TcpTransport}), and then sends whatever a test crafts
 * with the {@link Wire} codec, none of it checked by this side: statements signed with its own key about
 * any node ({@link #sign}, {@link #forget}), statements with a broken signature ({@link #tampered}), and
 * other nodes' signed announcements it overheard, replayed ({@link #heard}). It answers nothing (no Sync,
 * no grants).
 */
final class RogueMember implements AutoCloseable {
  private final JChannel channel;
  private final String name;
  private final NodeIdentity identity;
  /** Encodes lists of any length: the rogue does not hold itself to a cap. */
  private final Wire wire = new Wire(Integer.MAX_VALUE);
  private final List<Announcement> heard = new CopyOnWriteArrayList<>();

  private RogueMember(JChannel channel, String name, NodeIdentity identity) {
    this.channel = channel;
    this.name = name;
    this.identity = identity;
    channel.setReceiver(new Receiver() {
      @Override
      public void receive(Message msg) {
        try {
          if (wire.decode(msg.getArray(), msg.getOffset(), msg.getLength()) instanceof Wire.Announce a) {
            heard.add(a.announcement());
          }
        } catch (Wire.MalformedMessageException | RuntimeException e) {
          // not for the rogue
        }
      }
    });
  }

  /** {@code record} (about any node) signed with the rogue's own key. */
  Announcement sign(NodeRecord record, long claimedAtMillis, boolean pinned) {
    return Announcement.sign(identity, record, claimedAtMillis, pinned);
  }

  /** A forget of {@code node} signed with the rogue's own key, naming {@code author} as the one who forgot. */
  Forgetting forget(String author, String node, long incarnation, long atMillis) {
    return Forgetting.sign(identity, author, node, Optional.empty(), incarnation, atMillis);
  }

  /** {@code a} with one bit of its signature flipped. */
  static Announcement tampered(Announcement a) throws Exception {
    byte[] sig = a.statement().signature();
    sig[0] ^= 1;
    return Announcement.of(Statement.of(Statement.Kind.ANNOUNCEMENT, a.statement().body(), a.statement().author(),
        sig));
  }

  /** The signed announcements of {@code node} the rogue has overheard, oldest first. */
  List<Announcement> heard(String node) {
    return heard.stream().filter(a -> a.name().equals(node)).toList();
  }

  String name() {
    return name;
  }

  /** The rogue's own node key. */
  io.weft.gossip.trust.NodeKey key() {
    return identity.publicKey();
  }

  /**
   * Joins through {@code seeds} (none: starts the mesh, so it is the coordinator) as member {@code i} of
   * {@code members}, under the node name {@code name}.
   */
  static RogueMember join(Members members, int i, byte[] secret, String name, List<InetSocketAddress> seeds)
      throws Exception {
    MeshConfig config = members.tcp(i, seeds).withSecret(secret);
    MeshTrust trust = MeshTrust.open(config.stateDir());
    JChannel channel = RawMember.unconnected(config, trust, name, seeds);
    RogueMember rogue = new RogueMember(channel, name, trust.identity());
    channel.connect(config.clusterName());
    return rogue;
  }

  /** To every member. */
  void multicast(Wire.Msg msg) throws Exception {
    channel.send(new BytesMessage(null, wire.encode(msg)));
  }

  /**
   * Multicasts {@code records} records of made-up nodes ({@link #longName}{@code (first..)}, valid and
   * plausible, down since {@code now}, each signed with the rogue's key), {@code perSync} to a Sync. Their subnets skip 10.244.0-2.0/24: a rogue
   * coordinator agrees no holdings, so a made-up claim on an honest node's subnet would be a tie (docs/security.md),
   * and the flood measures the caps, not the tie rule.
   */
  void flood(int first, int records, int perSync, long now) throws Exception {
    List<Wire.SyncEntry> entries = new ArrayList<>();
    for (int n = first; n < first + records; n++) {
      String name = longName(n);
      NodeRecord r = new NodeRecord(name, name, InetAddress.getByAddress(new byte[] {(byte) 192, (byte) 168,
          (byte) (n >> 8), (byte) n}), Members.mac(9), Cidr.parse("10.244." + (3 + n % 253) + ".0/24"),
          SubnetSource.ALLOCATED, now, 1, "0.1.0-rogue", now);
      entries.add(new Wire.SyncEntry(sign(r, now, false), true, now));
      if (entries.size() == perSync || n == first + records - 1) {
        multicast(new Wire.Sync(List.copyOf(entries), List.of(), List.of(), List.of()));
        entries.clear();
      }
    }
  }

  /** A valid DNS name of 253 characters (the longest), distinct for each {@code i}. */
  static String longName(int i) {
    String label = "x".repeat(63);
    String name = label + "." + label + "." + label + "." + String.format("n%07d", i);
    return name + "." + "y".repeat(253 - name.length() - 1);
  }

  @Override
  public void close() {
    channel.close();
  }
}
