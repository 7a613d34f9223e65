package io.weft.dataplane.netlink;

import io.weft.core.net.MacAddress;
import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.Link;
import io.weft.dataplane.Links;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NoSuchDeviceException;
import io.weft.dataplane.Vxlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/** {@link Links} over a request socket. */
public final class NetlinkLinks implements Links {
  private final NetlinkSocket socket;
  private final Namespaces namespaces;

  public NetlinkLinks(NetlinkSocket socket, Namespaces namespaces) {
    this.socket = socket;
    this.namespaces = namespaces;
  }

  @Override
  public Optional<Link> byName(String name) {
    Objects.requireNonNull(name, "name");
    try {
      return first(socket.execute(LinkCodec.getByName(name), "look up link " + name));
    } catch (NoSuchDeviceException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<Link> byIndex(int index) {
    try {
      return first(socket.execute(LinkCodec.getByIndex(index), "look up link #" + index));
    } catch (NoSuchDeviceException e) {
      return Optional.empty();
    }
  }

  private static Optional<Link> first(List<NetlinkMessage> replies) {
    return replies.stream().filter(m -> m.type() == Nl.RTM_NEWLINK).map(LinkCodec::decode)
        .filter(Objects::nonNull).findFirst();
  }

  @Override
  public List<Link> list() {
    List<Link> out = new ArrayList<>();
    for (NetlinkMessage m : socket.dump(LinkCodec.dumpRequest(), "list links")) {
      Link l = m.type() == Nl.RTM_NEWLINK ? LinkCodec.decode(m) : null;
      if (l != null) {
        out.add(l);
      }
    }
    return out;
  }

  /**
   * Index to name for decoding one dump of routes or addresses: each index the dump names is looked up
   * once (one RTM_GETLINK by index), instead of a dump of every link. A table names a handful of devices
   * while a node has a veth per pod, and a link dump is what concurrent pod set-ups keep interrupting.
   * Null for an index that is gone.
   */
  public IntFunction<String> namesOnDemand() {
    Map<Integer, Optional<String>> seen = new HashMap<>();
    return index -> seen.computeIfAbsent(index, i -> byIndex(i).map(Link::name)).orElse(null);
  }

  /**
   * The index of link {@code name}, or a {@link NoSuchDeviceException} that says what was being attempted.
   */
  public int indexOf(String name, String operation) {
    try {
      return first(socket.execute(LinkCodec.getByName(name), operation))
          .orElseThrow(() -> NetlinkException.of(NetlinkException.ENODEV, operation, "no link named " + name))
          .index();
    } catch (NoSuchDeviceException e) {
      throw NetlinkException.of(NetlinkException.ENODEV, operation, "no link named " + name);
    }
  }

  @Override
  public Link ensureBridge(String name, int mtu) {
    String op = "create bridge " + name;
    try {
      socket.execute(LinkCodec.createBridge(name, mtu), op);
    } catch (AlreadyExistsException e) {
      // someone (an earlier run of ours, most likely) made it already: fine if it is a bridge
    }
    Link l = byName(name).orElseThrow(() -> NetlinkException.of(NetlinkException.ENODEV, op,
        "the bridge vanished right after it was created"));
    if (!"bridge".equals(l.kind())) {
      throw NetlinkException.of(NetlinkException.EEXIST, op,
          "a link of kind " + (l.kind() == null ? "none" : l.kind()) + " already has that name");
    }
    return l;
  }

  @Override
  public Optional<Vxlan> vxlan(String name) {
    try {
      return socket.execute(LinkCodec.getByName(name), "look up link " + name).stream()
          .filter(m -> m.type() == Nl.RTM_NEWLINK).map(LinkCodec::decodeVxlan).filter(Objects::nonNull).findFirst();
    } catch (NoSuchDeviceException e) {
      return Optional.empty();
    }
  }

  @Override
  public Link createVxlan(Vxlan spec) {
    String op = "create VXLAN device " + spec.name() + " (VNI " + spec.vni() + ", UDP " + spec.port() + ", local "
        + spec.local().getHostAddress() + ")";
    socket.execute(LinkCodec.createVxlan(spec), op);
    return byName(spec.name()).orElseThrow(() -> NetlinkException.of(NetlinkException.ENODEV, op,
        "the device vanished right after it was created"));
  }

  @Override
  public void createVeth(String name, String peerName, Path peerNetns, int mtu) {
    String op = "create veth " + name + " with peer " + peerName + (peerNetns == null ? "" : " in " + peerNetns);
    if (peerNetns == null) {
      socket.execute(LinkCodec.createVeth(name, peerName, -1, mtu), op);
      return;
    }
    int fd = namespaces.open(peerNetns, op);
    try {
      socket.execute(LinkCodec.createVeth(name, peerName, fd, mtu), op);
    } finally {
      namespaces.close(fd);
    }
  }

  @Override
  public void setUp(String name) {
    String op = "set link " + name + " up";
    socket.execute(LinkCodec.setFlags(indexOf(name, op), Nl.IFF_UP, Nl.IFF_UP), op);
  }

  @Override
  public void setDown(String name) {
    String op = "set link " + name + " down";
    socket.execute(LinkCodec.setFlags(indexOf(name, op), 0, Nl.IFF_UP), op);
  }

  @Override
  public void setMtu(String name, int mtu) {
    String op = "set mtu " + mtu + " on link " + name;
    socket.execute(LinkCodec.setMtu(indexOf(name, op), mtu), op);
  }

  @Override
  public void setMac(String name, MacAddress mac) {
    String op = "set address " + mac + " on link " + name;
    socket.execute(LinkCodec.setAddress(indexOf(name, op), mac), op);
  }

  @Override
  public void setMaster(String name, String bridge) {
    String op = bridge == null ? "release link " + name + " from its bridge" : "attach link " + name + " to bridge " + bridge;
    int master = bridge == null ? 0 : indexOf(bridge, op);
    socket.execute(LinkCodec.setMaster(indexOf(name, op), master), op);
  }

  @Override
  public void setHairpin(String name, boolean on) {
    String op = "turn hairpin " + (on ? "on" : "off") + " on bridge port " + name;
    socket.execute(LinkCodec.setHairpin(indexOf(name, op), on), op);
  }

  @Override
  public void setArpNotify(String name, boolean on) {
    String op = "turn arp_notify " + (on ? "on" : "off") + " on link " + name;
    socket.execute(LinkCodec.setArpNotify(indexOf(name, op), on), op);
  }

  @Override
  public void delete(String name) {
    String op = "delete link " + name;
    socket.execute(LinkCodec.delete(indexOf(name, op)), op);
  }
}
