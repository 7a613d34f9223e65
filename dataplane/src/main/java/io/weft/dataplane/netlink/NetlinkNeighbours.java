package io.weft.dataplane.netlink;

import io.weft.core.model.FdbEntry;
import io.weft.core.model.Neighbour;
import io.weft.core.net.MacAddress;
import io.weft.dataplane.Neighbours;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/** {@link Neighbours} over a request socket. */
public final class NetlinkNeighbours implements Neighbours {
  private final NetlinkSocket socket;
  private final NetlinkLinks links;

  public NetlinkNeighbours(NetlinkSocket socket, NetlinkLinks links) {
    this.socket = socket;
    this.links = links;
  }

  @Override
  public List<Neighbour> list(String device) {
    return dump(Nl.AF_INET, device, "list neighbours of " + device, NeighbourCodec::decodeNeighbour);
  }

  @Override
  public List<FdbEntry> fdb(String device) {
    return dump(Nl.AF_BRIDGE, device, "list FDB entries of " + device, NeighbourCodec::decodeFdb);
  }

  private <T> List<T> dump(int family, String device, String op,
      BiFunction<NetlinkMessage, IntFunction<String>, T> decoder) {
    int index = links.indexOf(device, op);
    Map<Integer, String> names = Map.of(index, device);
    List<T> out = new ArrayList<>();
    for (NetlinkMessage m : socket.dump(NeighbourCodec.dumpRequest(family), op)) {
      if (m.type() == Nl.RTM_NEWNEIGH && NeighbourCodec.index(m) == index) {
        T entry = decoder.apply(m, names::get);
        if (entry != null) {
          out.add(entry);
        }
      }
    }
    return out;
  }

  @Override
  public void replace(String device, InetAddress address, MacAddress mac) {
    String op = "set neighbour " + address.getHostAddress() + " lladdr " + mac + " on " + device;
    socket.execute(NeighbourCodec.replaceNeighbour(links.indexOf(device, op), address, Objects.requireNonNull(mac)), op);
  }

  @Override
  public void delete(String device, InetAddress address) {
    String op = "delete neighbour " + address.getHostAddress() + " from " + device;
    socket.execute(NeighbourCodec.deleteNeighbour(links.indexOf(device, op), address), op);
  }

  @Override
  public void replaceFdb(String device, MacAddress mac, InetAddress destination) {
    String op = "set FDB entry " + mac + " dst " + destination.getHostAddress() + " on " + device;
    socket.execute(NeighbourCodec.replaceFdb(links.indexOf(device, op), mac, destination), op);
  }

  @Override
  public void deleteFdb(String device, MacAddress mac, InetAddress destination) {
    String op = "delete FDB entry " + mac + (destination == null ? "" : " dst " + destination.getHostAddress())
        + " from " + device;
    socket.execute(NeighbourCodec.deleteFdb(links.indexOf(device, op), mac, destination), op);
  }
}
