package io.weft.docker;

import io.weft.gossip.JGroupsMesh;
import io.weft.gossip.trust.MeshTrust;
import java.nio.file.Path;

/**
 * Run by {@link ImageRuntimeTest} on the runtime the image jlinks: creates a node identity in the directory
 * it is given (Ed25519) and runs the mesh's start-up rehearsal (an in-memory handshake: X25519, Ed25519,
 * HMAC-SHA256, AES-GCM; then a JGroups stack built and dropped). Prints "ok"; any missing algorithm or
 * module ends it with a stack trace and a non-zero exit.
 */
public final class RuntimeProbe {
  private RuntimeProbe() {}

  public static void main(String[] args) throws Exception {
    MeshTrust.open(Path.of(args[0]));
    JGroupsMesh.warmUp();
    System.out.println("ok");
  }
}
