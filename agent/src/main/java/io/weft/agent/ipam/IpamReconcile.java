package io.weft.agent.ipam;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The reconcile decision, as a pure function of the allocations and what the kernel shows: which
 * allocations belong to pods that are provably gone, and whether the addresses with an unreadable record
 * can be freed.
 *
 * <p>Every pod Weft attached has its host veth ({@link AttachmentKey#hostInterfaceName()}) in the node's
 * namespace for as long as the pod's end exists: deleting either end of a veth deletes both, and removing
 * the pod's namespace removes its end. So:
 *
 * <ul>
 *   <li>an allocation whose host veth is missing and whose recorded namespace path is gone (or was never
 *       recorded) has no pod using its address: it is released. The namespace check keeps an ADD whose
 *       veth is not made yet (its namespace exists while the runtime waits for the answer);
 *   <li>an address with an unreadable record belongs to some pod whose veth cannot be named. It is freed
 *       only when every host veth on the node belongs to a readable allocation: then no pod can be holding
 *       it. One veth Weft cannot account for keeps every such address reserved.
 * </ul>
 */
public final class IpamReconcile {
  private IpamReconcile() {}

  /**
   * What the kernel shows, read at the edge.
   *
   * @param hostVeths    names of the node's links that are Weft host veths ({@code weft} + 8 hex)
   * @param presentNetns the recorded namespace paths (of the allocations asked about) that exist
   */
  public record Evidence(Set<String> hostVeths, Set<String> presentNetns) {
    public Evidence {
      hostVeths = Set.copyOf(hostVeths);
      presentNetns = Set.copyOf(presentNetns);
    }
  }

  /**
   * @param release        allocations whose pod is provably gone
   * @param keep           the others
   * @param releaseUnknown true when the addresses with an unreadable record can be freed
   * @param unaccounted    host veths that belong to no readable allocation (what keeps those reserved)
   */
  public record Decision(List<Allocation> release, List<Allocation> keep, boolean releaseUnknown,
      Set<String> unaccounted) {}

  public static Decision decide(List<Allocation> allocations, Evidence kernel) {
    List<Allocation> release = new ArrayList<>();
    List<Allocation> keep = new ArrayList<>();
    Set<String> accounted = new HashSet<>();
    for (Allocation a : allocations) {
      String veth = a.key().hostInterfaceName();
      accounted.add(veth);
      boolean vethPresent = kernel.hostVeths().contains(veth);
      boolean netnsPresent = !a.netns().isEmpty() && kernel.presentNetns().contains(a.netns());
      (vethPresent || netnsPresent ? keep : release).add(a);
    }
    Set<String> unaccounted = new HashSet<>(kernel.hostVeths());
    unaccounted.removeAll(accounted);
    return new Decision(List.copyOf(release), List.copyOf(keep), unaccounted.isEmpty(), Set.copyOf(unaccounted));
  }
}
