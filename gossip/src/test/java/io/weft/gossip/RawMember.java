package io.weft.gossip;

import io.weft.gossip.trust.MeshTrust;
import java.net.InetSocketAddress;
import java.util.List;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.EmptyMessage;
import org.jgroups.Header;
import org.jgroups.JChannel;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.FragHeader;

/**
 * A member that holds the secret and its own node key, joined through the real handshake and stack like
 * {@link RogueMember}, that multicasts raw bytes: a message of any size (its own FRAG4 cuts it up as an honest
 * member's would), or single fragments with whatever FRAG4 header a test makes up, or a message of any other
 * protocol's made-up header (a GMS request in another member's name).
 */
final class RawMember implements AutoCloseable {
  private final JChannel channel;

  private RawMember(JChannel channel) {
    this.channel = channel;
  }

  /** Joins through {@code seeds} (none: starts the mesh, so it is the coordinator) as member {@code i}. */
  static RawMember join(Members members, int i, byte[] secret, String name, List<InetSocketAddress> seeds)
      throws Exception {
    return new RawMember(connect(members, i, secret, name, seeds));
  }

  /**
   * A connected channel of member {@code i} under the node name {@code name}: the real handshake and stack,
   * nothing of Weft's mesh above it (the rogue members send what they like on it).
   */
  static JChannel connect(Members members, int i, byte[] secret, String name, List<InetSocketAddress> seeds)
      throws Exception {
    MeshConfig config = members.tcp(i, seeds).withSecret(secret);
    JChannel channel = unconnected(config, MeshTrust.open(config.stateDir()), name, seeds);
    channel.connect(config.clusterName());
    return channel;
  }

  /** The same channel before it connects, for a member that listens from its first message on. */
  static JChannel unconnected(MeshConfig config, MeshTrust trust, String name, List<InetSocketAddress> seeds)
      throws Exception {
    TcpTransport transport = TcpTransport.secured(config, trust);
    JChannel channel = new JChannel(MeshStack.build(config, transport, name, List::<Address>of, why -> { }).protocols());
    channel.addAddressGenerator(NodeAddress.generator(name));
    transport.discoverThrough(seeds);
    return channel;
  }

  /** To every member, fragmented by this member's FRAG4 when it is larger than a fragment. */
  void multicast(byte[] bytes) throws Exception {
    channel.send(new BytesMessage(null, bytes));
  }

  /** One made-up fragment to every member: fragment {@code fragId} of {@code numFrags} of message {@code id}. */
  void multicastFragment(long id, int fragId, int numFrags, byte[] payload) throws Exception {
    BytesMessage m = new BytesMessage(null, payload);
    m.putHeader(ClassConfigurator.getProtocolId(FRAG4.class), new FragHeader(id, fragId, numFrags));
    channel.send(m);
  }

  /** A header-only message to {@code dest}, carrying whatever header of protocol {@code protocolId} a test makes up. */
  void sendHeader(Address dest, short protocolId, Header header) throws Exception {
    channel.send(new EmptyMessage(dest).putHeader(protocolId, header));
  }

  /** The current view's member named {@code name}. */
  Address member(String name) {
    return channel.getView().getMembers().stream()
        .filter(a -> NodeAddress.nodeName(a).filter(name::equals).isPresent()).findFirst()
        .orElseThrow(() -> new AssertionError(name + " is not in " + channel.getView()));
  }

  @Override
  public void close() {
    channel.close();
  }
}
