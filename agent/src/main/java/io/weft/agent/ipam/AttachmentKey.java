package io.weft.agent.ipam;

import java.util.Objects;

/** A pod attachment as CNI names it: container ID and interface name. */
public record AttachmentKey(String containerId, String ifname) {
  public AttachmentKey {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(ifname, "ifname");
  }

  @Override
  public String toString() {
    return containerId + "/" + ifname;
  }
}
