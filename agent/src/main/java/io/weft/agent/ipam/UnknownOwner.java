package io.weft.agent.ipam;

import java.net.InetAddress;
import java.util.Objects;

/**
 * An address whose allocation file exists but cannot be read (truncated, garbled): some pod may still use
 * it, so it stays reserved until a DEL names it (its prevResult), or no attachment on the node can be
 * holding it (see {@link IpamReconcile}).
 *
 * @param address the address (the file's name)
 * @param problem why the record could not be read
 */
public record UnknownOwner(InetAddress address, String problem) {
  public UnknownOwner {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(problem, "problem");
  }
}
