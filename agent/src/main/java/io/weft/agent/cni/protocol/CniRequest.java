package io.weft.agent.cni.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One CNI invocation, validated, as the endpoint needs it.
 *
 * @param prevIps          the addresses of {@code prevResult} (CHECK compares them with the allocation; DEL
 *                         frees one whose allocation record is unreadable)
 * @param validAttachments GC only: attachments whose resources stay; null for other verbs
 * @param mac              ADD and CHECK: the container interface's MAC address (lower-case colon form), or
 *                         null to keep the one the kernel chose
 */
public record CniRequest(
    CniCommand command,
    String cniVersion,
    String network,
    String containerId,
    String netns,
    String ifname,
    Map<String, String> args,
    int mtu,
    List<String> requestedIps,
    List<String> prevIps,
    List<NetworkConfig.Attachment> validAttachments,
    String mac) {

  public CniRequest {
    args = args == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(args));
    requestedIps = requestedIps == null ? List.of() : List.copyOf(requestedIps);
    prevIps = prevIps == null ? List.of() : List.copyOf(prevIps);
    validAttachments = validAttachments == null ? null : List.copyOf(validAttachments);
  }

  /** The same request with this MTU (the agent resolves {@link NetworkConfig#NODE_MTU}). */
  public CniRequest withMtu(int newMtu) {
    return new CniRequest(command, cniVersion, network, containerId, netns, ifname, args, newMtu, requestedIps,
        prevIps, validAttachments, mac);
  }
}
