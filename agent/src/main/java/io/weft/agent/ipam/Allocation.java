package io.weft.agent.ipam;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * One address handed to one pod attachment.
 *
 * @param containerId CNI_CONTAINERID of the sandbox
 * @param ifname      CNI_IFNAME of the interface inside it
 * @param address     the address (in the node's pod subnet)
 * @param pod         {@code namespace/name} from CNI_ARGS when the runtime gave them, else empty
 * @param netns       CNI_NETNS of the ADD, else empty (allocations saved before it was recorded): while
 *                    this path exists the pod may still be using the address
 * @param since       when the address was allocated
 */
public record Allocation(String containerId, String ifname, InetAddress address, String pod, String netns,
    Instant since) {
  public Allocation {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(ifname, "ifname");
    Objects.requireNonNull(address, "address");
    pod = pod == null ? "" : pod;
    netns = netns == null ? "" : netns;
    Objects.requireNonNull(since, "since");
  }

  /** The attachment this allocation belongs to. */
  public AttachmentKey key() {
    return new AttachmentKey(containerId, ifname);
  }
}
