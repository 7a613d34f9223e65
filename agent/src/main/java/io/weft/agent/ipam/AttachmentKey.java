package io.weft.agent.ipam;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/** A pod attachment as CNI names it: container ID and interface name. */
public record AttachmentKey(String containerId, String ifname) {
  public AttachmentKey {
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(ifname, "ifname");
  }

  /**
   * The host end of the attachment's veth: {@code weft} + 8 hex of a hash, stable across retries and
   * restarts, so the kernel can be asked whether the attachment still exists.
   */
  public String hostInterfaceName() {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest((containerId + "/" + ifname).getBytes(StandardCharsets.UTF_8));
      StringBuilder b = new StringBuilder("weft");
      for (int i = 0; i < 4; i++) {
        b.append(Character.forDigit((d[i] >> 4) & 0xf, 16)).append(Character.forDigit(d[i] & 0xf, 16));
      }
      return b.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return containerId + "/" + ifname;
  }
}
