package io.weft.gossip.trust;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * What a node trusts with: its own identity and the name → key bindings it has made, both kept in
 * its state dir.
 */
public record MeshTrust(NodeIdentity identity, KeyBindingStore bindings) {
  public MeshTrust {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(bindings, "bindings");
  }

  /**
   * Reads both from {@code stateDir}, creating the identity on first start.
   *
   * @throws IOException with a message naming the file and what to do when either is unusable
   */
  public static MeshTrust open(Path stateDir) throws IOException {
    return new MeshTrust(NodeKeyFile.loadOrCreate(stateDir, new SecureRandom()), KeyBindingStore.open(stateDir));
  }
}
