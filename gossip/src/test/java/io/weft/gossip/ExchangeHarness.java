package io.weft.gossip;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.gossip.trust.MeshTrust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jgroups.Address;

/**
 * One member without a channel: the production {@link RecordExchange} over its {@link MeshState}, its own
 * state dir, key and bindings, and a link that lets every sender relay and sends nothing. Messages go in as
 * bytes, through {@link RecordExchange#received}, as JGroups would hand them over.
 */
final class ExchangeHarness {
  final String name;
  final MeshState state;
  final MeshTrust trust;
  final RecordExchange records;

  /**
   * @param dir   its state dir (created)
   * @param bound test nodes ({@link Signing#key}) bound before, as this member's handshakes with them would
   */
  ExchangeHarness(Path dir, List<String> bound, long now) throws IOException {
    Files.createDirectories(dir);
    this.name = dir.getFileName().toString();
    MeshConfig config = Members.loopback("harness", IpAddresses.parse("127.0.0.1"), 1, dir, List.of());
    trust = MeshTrust.open(dir);
    for (String n : bound) {
      trust.bindings().admit(n, Signing.key(n).publicKey(), "a handshake", now);
    }
    state = new MeshState(name, config.clusterCidr(), 24, true, config.leaseTime(), config.timing().tombstoneTime());
    state.setSelf(Announcement.sign(trust.identity(), new NodeRecord(name, name, IpAddresses.parse("192.168.2.1"),
        Members.mac(99), Cidr.parse("10.244.200.0/24"), SubnetSource.ALLOCATED, 1, 1, "0.1.0", 0), 0, true));
    StateStore store = new StateStore(dir);
    LocalNode local = LocalNode.allocated(name, IpAddresses.parse("192.168.2.1"), Members.mac(99), "0.1.0");
    MeshLink link = new RelayingLink();
    SubnetAgreement agreement = new SubnetAgreement(config, store, null, link, state, local, trust.identity(),
        () -> { }, r -> { });
    PeerMemory peers = new PeerMemory(config, store, new SimulatedTransport(config), () -> { });
    records = new RecordExchange(new Wire(state.cap()), state, agreement, peers, trust, link, () -> { }, name, config);
  }

  void receive(byte[] message) {
    records.received(null, message, 0, message.length);
  }

  /** Every sender may relay; nothing is sent. */
  private static final class RelayingLink implements MeshLink {
    @Override
    public void send(Address member, Wire.Msg msg) {}

    @Override
    public void multicast(Wire.Msg msg) {}

    @Override
    public Address coordinator() {
      return null;
    }

    @Override
    public boolean isCoordinator() {
      return false;
    }

    @Override
    public boolean mayRelay(Address member) {
      return true;
    }

    @Override
    public boolean isMember(Address member) {
      return true;
    }
  }
}
