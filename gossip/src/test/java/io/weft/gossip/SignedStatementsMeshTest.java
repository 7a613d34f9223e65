package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.PeerState;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.gossip.trust.KeyConflict;
import io.weft.gossip.trust.NodeKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A rogue that holds the secret and its own node key, joined through the real handshake, against signed
 * statements: it cannot speak for another node (a record of node-2 signed with its own key, a record with a
 * broken signature, a forget naming another node as its author: refused, counted and reported), cannot roll
 * a node back with an old statement of its own it replays, and may forget a node, as any holder of the secret
 * may, but every node, and a node that joins later, logs it as the author.
 */
class SignedStatementsMeshTest {
  private static final byte[] SECRET = "a signed statements mesh test secret, 32+ bytes".getBytes(StandardCharsets.US_ASCII);
  private final Members members = new Members();
  private final List<RogueMember> rogues = new ArrayList<>();
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger exchangeLog = (Logger) LoggerFactory.getLogger(RecordExchange.class);

  @BeforeEach
  void captureLog() {
    log.start();
    exchangeLog.addAppender(log);
  }

  @AfterEach
  void tearDown() throws IOException {
    exchangeLog.detachAppender(log);
    rogues.forEach(RogueMember::close);
    members.close();
  }

  @Test
  void aRogueCoordinatorCannotRelayAForgedOrTamperedRecordNorRollANodeBackWithAnOldOne() throws Exception {
    RogueMember rogue = rogue(List.of());
    JGroupsMesh a = members.configuredMember(1, List.of(members.seed(9)), SECRET);
    JGroupsMesh b = members.configuredMember(2, List.of(members.seed(9)), SECRET);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().viewSize() == 3 && a.snapshot().peers().containsKey("node-2")
        && b.snapshot().peers().containsKey("node-1") && !rogue.heard("node-2").isEmpty());
    assertEquals("rogue", a.snapshot().coordinator(), "the rogue coordinates: its Syncs are relays");
    Announcement old = rogue.heard("node-2").get(0);
    NodeRecord first = a.snapshot().peers().get("node-2").record();
    b.publish(first);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().peers().get("node-2").record().version() > first.version()
        && rogue.heard("node-2").size() > 1);
    NodeRecord current = a.snapshot().peers().get("node-2").record();
    Announcement newest = rogue.heard("node-2").get(rogue.heard("node-2").size() - 1);

    // node-2's record moved onto the rogue's subnet at a higher incarnation, signed with the rogue's own key.
    Announcement forged = rogue.sign(new NodeRecord("node-2", "node-2", members.ip(9), Members.mac(9),
        Cidr.parse("10.244.9.0/24"), SubnetSource.CONFIGURED, current.incarnation() + 1, 1, current.agentVersion(),
        System.currentTimeMillis()), 0, true);
    rogue.multicast(sync(new Wire.SyncEntry(forged, false, 0)));
    // node-2's own newest record with one bit of its signature flipped.
    rogue.multicast(sync(new Wire.SyncEntry(RogueMember.tampered(newest), false, 0)));
    // node-2's first record, replayed: good signature, but older than what every member holds.
    rogue.multicast(sync(new Wire.SyncEntry(old, true, 1)));

    NodeKey victim = members.trust(2).identity().publicKey();
    for (int i : List.of(1, 2)) {
      JGroupsMesh honest = i == 1 ? a : b;
      await().atMost(Members.PATIENCE).until(() -> Members.refused(honest, "key_conflict") == 1
          && Members.refused(honest, "bad_signature") == 1);
      // Reported as a key conflict, like a handshake's: the node and both fingerprints.
      KeyConflict c = members.trust(i).bindings().conflicts().stream().filter(k -> k.node().equals("node-2"))
          .findFirst().orElseThrow();
      assertEquals(victim, c.boundKey());
      assertEquals(rogue.key(), c.presented());
      assertTrue(c.describe().contains(victim.fingerprint()) && c.describe().contains(rogue.key().fingerprint()),
          c.describe());
    }
    Thread.sleep(500); // the replay had its chance too
    assertEquals(current, a.snapshot().peers().get("node-2").record(), "node-2 keeps the record it announced last");
    assertEquals(PeerState.UP, a.snapshot().peers().get("node-2").state());
    assertEquals(Cidr.parse("10.244.2.0/24"), a.snapshot().peers().get("node-2").record().podSubnet());
    assertEquals(current, b.snapshot().self(), "node-2 was not made to re-announce by its own old record");
    assertEquals(Cidr.parse("10.244.1.0/24"), b.snapshot().peers().get("node-1").record().podSubnet());
    assertEquals(members.trust(2).identity().publicKey(), members.trust(1).bindings().bindings().keyOf("node-2")
        .orElseThrow(), "node-2 stays bound to its own key");
  }

  @Test
  void anySecretHolderMayForgetANodeButEveryNodeLogsItAsTheAuthorAndNoneCanNameAnother() throws Exception {
    JGroupsMesh a = members.configuredMember(1, List.of(), SECRET);
    JGroupsMesh b = members.configuredMember(2, List.of(members.seed(1)), SECRET);
    RogueMember rogue = rogue(List.of(members.seed(1)));
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().viewSize() == 3 && a.snapshot().peers().containsKey("node-2")
        && b.snapshot().peers().containsKey("node-1"));
    long incarnation = a.snapshot().peers().get("node-2").record().incarnation();

    // A forget of node-2 signed with the rogue's key but naming node-1 as the one who forgot: refused.
    rogue.multicast(new Wire.Forget(rogue.forget("node-1", "node-2", incarnation, System.currentTimeMillis())));
    for (JGroupsMesh honest : List.of(a, b)) {
      await().atMost(Members.PATIENCE).until(() -> Members.refused(honest, "key_conflict") == 1);
    }
    assertTrue(a.snapshot().peers().containsKey("node-2"), "not forgotten by a forget nobody may sign");

    // Its own forget: taken, and every node says who did it.
    rogue.multicast(new Wire.Forget(rogue.forget("rogue", "node-2", incarnation, System.currentTimeMillis())));
    await().atMost(Members.PATIENCE).until(() -> !a.snapshot().peers().containsKey("node-2"));
    await().atMost(Members.PATIENCE).until(() -> logged("node-1: node node-2 forgotten mesh-wide by rogue")
        && logged("node-2: this node was forgotten mesh-wide (meshctl forget) by rogue"));
    assertFalse(members.trust(1).bindings().bindings().keyOf("node-2").isPresent(), "node-2's binding went with it");

    // A node that joins later learns the forget from the coordinator's Sync, with its author.
    JGroupsMesh c = members.configuredMember(3, List.of(members.seed(1)), SECRET);
    await().atMost(Members.PATIENCE).until(() -> logged(
        "node-3: node node-2 was forgotten mesh-wide by rogue (meshctl forget; relayed by node-1)"));
    assertFalse(c.snapshot().peers().containsKey("node-2"));
    // ... and every other node's key from their signed records, before or without a connection of its own.
    assertEquals(members.trust(1).identity().publicKey(), members.trust(3).bindings().bindings().keyOf("node-1")
        .orElseThrow());
  }

  private boolean logged(String text) {
    return log.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith(text));
  }

  private static Wire.Sync sync(Wire.SyncEntry e) {
    return new Wire.Sync(List.of(e), List.of(), List.of(), List.of());
  }

  /** The rogue joins (no seeds: it starts the mesh and coordinates); closed after the test. */
  private RogueMember rogue(List<InetSocketAddress> seeds) throws Exception {
    rogues.add(RogueMember.join(members, 9, SECRET, "rogue", seeds));
    return rogues.get(rogues.size() - 1);
  }
}
