package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.gossip.trust.KeyConflict;
import io.weft.gossip.trust.NodeKey;
import io.weft.gossip.trust.NodeKeyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node reinstalled under a known name (a new state dir, so a new key) is refused and reported on
 * both sides until an operator forgets it; then its next start is bound on first sight.
 */
class NodeKeyMeshTest {
  private static final byte[] SECRET = "a node-key mesh test secret, 32+ bytes".getBytes(StandardCharsets.US_ASCII);
  private final Members members = new Members();

  @AfterEach
  void tearDown() throws IOException {
    members.close();
  }

  @Test
  void aNodeThatPresentsThisNodesOwnNameIsRefusedAndReportedNeverBound() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    // Another node started with node-1's --node-name (its own state dir, so its own key).
    JGroupsMesh impostor = members.tcpMember(3, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    impostor.join(LocalNode.allocated("node-1", members.ip(3), Members.mac(3), "0.1.0"));

    await().atMost(Members.PATIENCE).until(() -> !members.trust(1).bindings().conflicts().isEmpty());
    KeyConflict conflict = members.trust(1).bindings().conflicts().get(0);
    assertEquals("node-1", conflict.node());
    assertEquals(members.trust(1).identity().publicKey(), conflict.boundKey());
    assertEquals(members.trust(3).identity().publicKey(), conflict.presented());
    assertTrue(members.trust(1).bindings().bindings().keyOf("node-1").isEmpty(), "its own name is bound to nobody");
    assertEquals(1, a.snapshot().viewSize());
  }

  @Test
  void aNewKeyForAKnownNameIsRefusedAndReportedUntilTheNodeIsForgotten() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && a.snapshot().viewSize() == 2);
    NodeKey old = members.trust(2).identity().publicKey();

    // node-2 is reinstalled: its state dir, and with it its key, is gone.
    b.leave();
    b.close();
    Files.delete(members.stateDir(2).resolve(NodeKeyFile.FILE));
    JGroupsMesh reinstalled = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    reinstalled.join(members.node(2));
    NodeKey fresh = members.trust(2).identity().publicKey();

    await().atMost(Members.PATIENCE).until(() -> !members.trust(1).bindings().conflicts().isEmpty());
    KeyConflict conflict = members.trust(1).bindings().conflicts().get(0);
    assertEquals("node-2", conflict.node());
    assertEquals(old, conflict.boundKey());
    assertEquals(fresh, conflict.presented());
    assertTrue(conflict.describe().contains(old.fingerprint()) && conflict.describe().contains(fresh.fingerprint()));
    // The refused node is told why and keeps retrying instead of starting a mesh of its own.
    await().atMost(Members.PATIENCE).until(() ->
        reinstalled.snapshot().seeds().message().contains("the name bound to another key"));
    assertTrue(reinstalled.snapshot().viewSize() <= 1 && !a.snapshot().peers().get("node-2").state()
        .equals(io.weft.core.model.PeerState.UP), "the new key never got in");

    // The operator forgets node-2 on node-1; node-2's agent restarts and is bound to its new key.
    a.forget("node-2");
    await().atMost(Members.PATIENCE).until(() -> members.trust(1).bindings().conflicts().isEmpty());
    reinstalled.leave();
    reinstalled.close();
    JGroupsMesh restarted = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    restarted.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && a.snapshot().viewSize() == 2);
    assertEquals(fresh, members.trust(1).bindings().bindings().keyOf("node-2").orElseThrow());
  }
}
