package io.weft.agent.ipam;

import io.weft.core.net.Cidr;
import java.util.Set;

/**
 * The allocation decision, as pure functions over a subnet: which offsets may be handed out, and which one
 * comes next.
 *
 * <p>Offset 0 (the network), 1 (the gateway on the bridge) and the last one (broadcast) are never handed
 * out. The next address is searched round-robin from just after the last one handed out, so a released
 * address is not given to the next pod at once (its neighbours' ARP caches and conntrack entries may still
 * point at the old pod).
 */
public final class AddressPool {
  private AddressPool() {}

  /** Number of offsets in the subnet ({@code 256} for a /24). */
  public static long size(Cidr subnet) {
    return subnet.size().longValueExact();
  }

  /** True for offsets a pod may get. */
  public static boolean assignable(Cidr subnet, long offset) {
    return offset >= 2 && offset < size(subnet) - 1;
  }

  /**
   * The first assignable offset after {@code last} (wrapping around) that is not in {@code used}, or -1
   * when there is none.
   */
  public static long next(Cidr subnet, long last, Set<Long> used) {
    long size = size(subnet);
    if (size < 4) {
      return -1;
    }
    long candidate = last;
    for (long i = 0; i < size; i++) {
      candidate = candidate + 1 >= size ? 0 : candidate + 1;
      if (assignable(subnet, candidate) && !used.contains(candidate)) {
        return candidate;
      }
    }
    return -1;
  }
}
