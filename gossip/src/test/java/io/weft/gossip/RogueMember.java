package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;

/**
 * A member gone bad: it holds the mesh's secret and a node key of its own, joins through the real handshake
 * and JGroups stack ({@link MeshStack} over {@link TcpTransport}), and then sends whatever a test crafts
 * with the {@link Wire} codec, none of it checked by this side. It answers nothing (no Sync, no grants).
 */
final class RogueMember implements AutoCloseable {
  private final JChannel channel;
  /** Encodes lists of any length: the rogue does not hold itself to a cap. */
  private final Wire wire = new Wire(Integer.MAX_VALUE);

  private RogueMember(JChannel channel) {
    this.channel = channel;
  }

  /**
   * Joins through {@code seeds} (none: starts the mesh, so it is the coordinator) as member {@code i} of
   * {@code members}, under the node name {@code name}.
   */
  static RogueMember join(Members members, int i, byte[] secret, String name, List<InetSocketAddress> seeds)
      throws Exception {
    return new RogueMember(RawMember.connect(members, i, secret, name, seeds));
  }

  /** To every member. */
  void multicast(Wire.Msg msg) throws Exception {
    channel.send(new BytesMessage(null, wire.encode(msg)));
  }

  /**
   * Multicasts {@code records} records of made-up nodes ({@link #longName}{@code (first..)}, valid and
   * plausible, down since {@code now}), {@code perSync} to a Sync. Their subnets skip 10.244.0-2.0/24: a rogue
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
      entries.add(new Wire.SyncEntry(new Announcement(r, now, false), true, now));
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
