package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** With a secret, strangers (wrong secret, no secret, garbage) are refused and cannot disturb the mesh. */
class SecureMeshTest {
  private static final byte[] SECRET = "correct horse battery staple 42, and more".getBytes(StandardCharsets.UTF_8);
  private static final byte[] OTHER = "another mesh's secret, not ours at all".getBytes(StandardCharsets.UTF_8);
  /** Closed after each test by JUnit, even when it fails: every member leaves, every state dir goes. */
  @AutoClose
  private final Members members = new Members();

  @Test
  void nodesWithAWrongOrNoSecretAreRefusedOnBothSidesAndCannotJoinOrMerge() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && b.snapshot().converged()
        && a.snapshot().viewSize() == 2);

    JGroupsMesh wrong = members.tcpMember(3, List.of(members.seed(1), members.seed(2)), c -> c.withSecret(OTHER));
    JGroupsMesh none = members.tcpMember(4, List.of(members.seed(1), members.seed(2)), c -> c);
    wrong.join(members.node(3));
    none.join(members.node(4));

    await().atMost(Members.PATIENCE).until(() -> wrong.snapshot().counters().refusedConnections() > 0
        && none.snapshot().counters().refusedConnections() > 0
        && a.snapshot().counters().refusedConnections() + b.snapshot().counters().refusedConnections() >= 2);
    // They do not pretend to be a mesh of one: they keep retrying and say why.
    await().atMost(Members.PATIENCE).until(() -> List.of(wrong, none).stream().allMatch(m -> {
      MeshSnapshot.SeedStatus st = m.snapshot().seeds();
      return st.state() == MeshSnapshot.SeedStatus.State.RETRYING && st.message().contains("secret");
    }));
    assertTrue(wrong.snapshot().seeds().message().contains("does not hold this mesh's secret"),
        wrong.snapshot().seeds().message());
    assertTrue(none.snapshot().seeds().message().contains("this node has none"), none.snapshot().seeds().message());
    // Long enough for several MERGE3 rounds: the mesh never sees them.
    // (Only the strangers are checked: on a loaded machine a and b may briefly suspect each other.)
    await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(15)).until(() ->
        a.snapshot().viewSize() <= 2 && b.snapshot().viewSize() <= 2
            && java.util.Set.of("node-2").containsAll(a.snapshot().peers().keySet())
            && java.util.Set.of("node-1").containsAll(b.snapshot().peers().keySet())
            && wrong.snapshot().peers().isEmpty() && none.snapshot().peers().isEmpty());
  }

  @Test
  void garbageOnTheMeshPortIsRefusedAndCounted() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    a.join(members.node(1)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    b.join(members.node(2)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && b.snapshot().converged());

    Random random = new Random(7);
    byte[] noise = new byte[4096];
    random.nextBytes(noise);
    byte[] fakeHello = new byte[38 + 64];
    random.nextBytes(fakeHello);
    System.arraycopy("WEFT".getBytes(StandardCharsets.US_ASCII), 0, fakeHello, 0, 4);
    fakeHello[4] = 1;
    fakeHello[5] = 1;
    for (byte[] junk : List.of(noise, fakeHello, "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII))) {
      try (Socket s = new Socket(members.ip(1), members.port)) {
        OutputStream out = s.getOutputStream();
        out.write(junk);
        out.flush();
        s.setSoTimeout(3000);
        s.getInputStream().readAllBytes(); // the member hangs up
      } catch (java.io.IOException expected) {
        // reset by the member: refused
      }
    }
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().counters().refusedConnections() >= 3);

    // The mesh is unharmed: news still travels.
    b.publish(b.snapshot().self());
    await().atMost(Members.PATIENCE).until(() ->
        a.snapshot().peers().get("node-2").record().version() == 2);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().viewSize() == 2 && a.snapshot().converged());
  }
}
