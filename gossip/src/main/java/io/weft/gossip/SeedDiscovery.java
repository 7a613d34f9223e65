package io.weft.gossip;

import java.util.ArrayList;
import java.util.List;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.Message;
import org.jgroups.PhysicalAddress;
import org.jgroups.View;
import org.jgroups.protocols.PingData;
import org.jgroups.protocols.PingHeader;
import org.jgroups.protocols.TCPPING;
import org.jgroups.util.NameCache;
import org.jgroups.util.Responses;

/**
 * TCPPING whose members also name their coordinator when they answer a joiner. Plain TCPPING members
 * answer only for themselves, so a joiner whose seeds (or remembered peers) are all ordinary members
 * hears no coordinator: GMS then waits out the whole join timeout, or even starts a mesh of its own if
 * its address sorts first. With the coordinator in the answer, any live member is a good seed, and GMS
 * sends JOIN as soon as the first answer arrives.
 *
 * <p>(That GMS keeps retrying JOIN while it has heard of a coordinator, rather than starting a mesh of
 * its own after three timed-out JOINs, is GMS' {@code max_join_attempts=0}, set in MeshStack.)
 */
final class SeedDiscovery extends TCPPING {
  static final short PROTOCOL_ID = 1785;
  /** Whether any member (or joiner) answered discovery since the last {@link #resetAnswered()}. */
  private volatile boolean answered;

  void resetAnswered() {
    answered = false;
  }

  boolean answered() {
    return answered;
  }

  @Override
  protected void handleDiscoveryResponse(PingData data, Address sender) {
    answered = true;
    super.handleDiscoveryResponse(data, sender);
  }

  /**
   * With nobody to ask (no seeds, no DNS answers, no remembered peer answered), the answer is "nobody"
   * at once: GMS then starts the new mesh instead of waiting out its whole join timeout.
   */
  @Override
  public Responses findMembers(List<Address> members, boolean initialDiscovery, boolean async, long timeout) {
    Responses r = super.findMembers(members, initialDiscovery, async, timeout);
    if (initialDiscovery && getInitialHosts().isEmpty() && (dynamic_hosts == null || dynamic_hosts.isEmpty())) {
      r.done();
    }
    return r;
  }

  /**
   * A member that does not know another member's physical address asks discovery for it, and plain
   * TCPPING leaves the answer to that member alone, which only hears the question if its own address
   * is among the asker's seeds. So every member answers for the asked members of its view whose
   * addresses it knows: the question goes to the asker's seeds and to the nodes that asked it, and
   * once a node rejoins under a new address (a frozen node thawed, a rejoin after exclusion) those may
   * all be ordinary members — answering only from the coordinator left such an asker dropping its
   * messages to the rejoined node for good.
   */
  @Override
  protected Object handle(PingHeader hdr, Message msg) {
    Object ret = super.handle(hdr, msg); // first: it caches the asker's own address, which the answer needs
    View v = view;
    if (hdr.type() == PingHeader.GET_MBRS_REQ && v != null && msg.getLength() > 0) {
      List<PingData> asked = readPingData(msg.getArray(), msg.getOffset(), msg.getLength());
      List<PingData> known = new ArrayList<>();
      if (asked != null) {
        for (PingData pd : asked) {
          if (pd == null || pd.mbrs() == null) {
            continue;
          }
          for (Address m : pd.mbrs()) {
            Object physical = m.equals(local_addr) ? null : down(new Event(Event.GET_PHYSICAL_ADDRESS, m));
            if (v.containsMember(m) && physical instanceof PhysicalAddress p) {
              known.add(new PingData(m, true, NameCache.get(m), p).coord(m.equals(v.getCoord())));
            }
          }
        }
      }
      if (!known.isEmpty()) {
        super.sendDiscoveryResponse(known, msg.getSrc());
      }
    }
    return ret;
  }

  @Override
  protected void sendDiscoveryResponse(List<PingData> list, Address sender) {
    View v = view;
    if (!is_coord && v != null && list.size() == 1 && local_addr != null && local_addr.equals(list.get(0).getAddress())) {
      Address coord = v.getCoord();
      Object physical = down(new Event(Event.GET_PHYSICAL_ADDRESS, coord));
      if (coord != null && physical instanceof PhysicalAddress p) {
        List<PingData> withCoord = new ArrayList<>(list);
        withCoord.add(new PingData(coord, true, NameCache.get(coord), p).coord(true));
        super.sendDiscoveryResponse(withCoord, sender);
        return;
      }
    }
    super.sendDiscoveryResponse(list, sender);
  }
}
