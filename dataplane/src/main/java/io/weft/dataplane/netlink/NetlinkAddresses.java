package io.weft.dataplane.netlink;

import io.weft.dataplane.Addresses;
import io.weft.dataplane.InterfaceAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** {@link Addresses} over a request socket. */
public final class NetlinkAddresses implements Addresses {
  private final NetlinkSocket socket;
  private final NetlinkLinks links;

  public NetlinkAddresses(NetlinkSocket socket, NetlinkLinks links) {
    this.socket = socket;
    this.links = links;
  }

  @Override
  public List<InterfaceAddress> list(String device) {
    return dump(Nl.AF_UNSPEC, device);
  }

  @Override
  public List<InterfaceAddress> listIpv4() {
    return dump(Nl.AF_INET, null);
  }

  private List<InterfaceAddress> dump(int family, String device) {
    String op = "list addresses" + (device == null ? "" : " of " + device);
    Integer only = device == null ? null : links.indexOf(device, op);
    List<NetlinkMessage> parts = socket.dump(AddressCodec.dumpRequest(family), op);
    // One device: its name is known, so no dump of every link (which pods being set up side by side
    // keep interrupting, and which costs a round trip per CNI verb).
    IntFunction<String> names = only == null ? links.namesOnDemand() : i -> i == only ? device : null;
    List<InterfaceAddress> out = new ArrayList<>();
    for (NetlinkMessage m : parts) {
      InterfaceAddress a = m.type() == Nl.RTM_NEWADDR ? AddressCodec.decode(m, names) : null;
      if (a != null && (only == null || a.index() == only)) {
        out.add(a);
      }
    }
    return out;
  }

  @Override
  public void add(String device, InetAddress address, int prefixLength) {
    String op = "add address " + address.getHostAddress() + "/" + prefixLength + " to " + device;
    socket.execute(AddressCodec.encode(true, links.indexOf(device, op), address, prefixLength), op);
  }

  @Override
  public void delete(String device, InetAddress address, int prefixLength) {
    String op = "delete address " + address.getHostAddress() + "/" + prefixLength + " from " + device;
    socket.execute(AddressCodec.encode(false, links.indexOf(device, op), address, prefixLength), op);
  }
}
