package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.codec.NodeRecordCodec;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Holding;
import io.weft.core.plan.Plausibility;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bound on one mesh message before Weft reads it ({@link MessageSizeGuard}, TCP's {@code max_length}): a
 * member holding the secret sends, through the real stack, the largest Sync an honest coordinator could send at
 * the cap (it passes), a message over the bound (dropped before reassembly, counted {@code too_large}, the
 * sender's next message still arrives), half-sent messages (at most two messages' worth held) and a fragment
 * header claiming 2^31-1 fragments (FRAG4 alone would allocate an array of that length).
 */
class MessageSizeTest {
  private static final byte[] SECRET = "a message size test secret of 32 or more bytes".getBytes(StandardCharsets.US_ASCII);
  private static final int CAP = Plausibility.cap(MeshConfig.DEFAULT_CLUSTER_CIDR, 24);
  private final Members members = new Members();
  private final Wire wire = new Wire(Integer.MAX_VALUE);
  private RawMember raw;

  @AfterEach
  void tearDown() throws IOException {
    if (raw != null) {
      raw.close();
    }
    members.close();
  }

  @Test
  void theLargestHonestSyncPassesAndAMessageOverTheBoundIsDroppedBeforeReassembly() throws Exception {
    int bound = MeshStack.maxMessageBytes(CAP);
    assertEquals(4 * 1024 * 1024, bound, "4 MiB for 10.244.0.0/16 in /24s");
    raw = RawMember.join(members, 9, SECRET, "raw", List.of());
    JGroupsMesh a = members.tcpMember(1, List.of(members.seed(9)), c -> c.withSecret(SECRET));
    a.join(LocalNode.configured("node-1", members.ip(1), Members.mac(1), Cidr.parse("10.244.1.0/24"), "0.1.0-test"))
        .get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().viewSize() == 2);
    long now = System.currentTimeMillis();

    // The largest Sync at the cap: every list full, every name 253 characters, every record as long as it gets.
    byte[] largest = wire.encode(largestSync(now));
    int longestRecord = largestSync(now).entries().stream()
        .mapToInt(e -> new NodeRecordCodec().encode(e.announcement().record()).length).max().orElseThrow();
    raw.multicast(largest);
    await().atMost(Members.PATIENCE).until(() -> held(a) >= CAP - 1);
    assertEquals(0L, refused(a, "too_large"), "the largest honest Sync passes");
    System.out.printf("message size: the largest Sync at cap %d is %d bytes (records of %d bytes of JSON), %.1f%% of"
        + " the bound %d (%d fragments of %d at most)%n", CAP, largest.length, longestRecord,
        100.0 * largest.length / bound, bound, (bound + MeshStack.FRAG_SIZE - 1) / MeshStack.FRAG_SIZE,
        MeshStack.FRAG_SIZE);

    // Over the bound: 5 MiB, cut into fragments by the sender's own FRAG4 as any message would be.
    long malformedBefore = a.snapshot().counters().malformedDropped();
    raw.multicast(new byte[5 * 1024 * 1024]);
    await().atMost(Members.PATIENCE).until(() -> refused(a, "too_large") == 1);
    MeshSnapshot.Refusal latest = a.snapshot().counters().refusals().latest();
    assertEquals("raw", latest.from(), "the refusal names the sender");
    assertTrue(latest.why().contains("dropped before reassembly"), latest.why());
    // The receiver is unhurt: the sender is still a member, and its next message arrives and is read.
    assertNextMessageIsRead(a);
    assertEquals(malformedBefore, a.snapshot().counters().malformedDropped(), "nothing of it reached Wire");
    assertEquals(2, a.snapshot().viewSize());

    // Half-sent messages: first fragments of 20 messages of 70 fragments each, never finished. Two messages'
    // worth is held (8.4 MB claimed), the other 18 are dropped; then a fragment header claiming 2^31-1 fragments.
    byte[] fragment = new byte[MeshStack.FRAG_SIZE];
    for (int k = 0; k < 20; k++) {
      raw.multicastFragment(1_000_000 + k, 0, 70, fragment);
    }
    raw.multicastFragment(2_000_000, 0, Integer.MAX_VALUE, new byte[16]);
    raw.multicastFragment(2_000_001, 0, 2, new byte[MeshStack.FRAG_SIZE + 1]);
    await().atMost(Members.PATIENCE).until(() -> refused(a, "too_large") == 1 + 18 + 1 + 1);
    assertNextMessageIsRead(a);
    assertEquals(Cidr.parse("10.244.1.0/24"), a.snapshot().self().podSubnet());
  }

  /** The sender's next (small) message reaches the receiver's record exchange and is read there. */
  private void assertNextMessageIsRead(JGroupsMesh a) throws Exception {
    long read = a.snapshot().counters().messagesIn();
    long malformed = a.snapshot().counters().malformedDropped();
    raw.multicast(wire.encode(new Wire.SyncRequest()));
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().counters().messagesIn() > read);
    assertEquals(malformed, a.snapshot().counters().malformedDropped());
  }

  /** A Sync no honest coordinator could make larger at this cap. */
  private static Wire.Sync largestSync(long now) {
    List<Wire.SyncEntry> entries = new ArrayList<>();
    List<Forgetting> forgets = new ArrayList<>();
    String author = RogueMember.longName(50_000);
    List<Wire.Reservation> reservations = new ArrayList<>();
    List<Holding> holdings = new ArrayList<>();
    for (int n = 0; n < CAP; n++) {
      entries.add(entry(RogueMember.longName(n), n, now));
      Cidr subnet = Cidr.parse("10.244." + (n % 256) + ".0/24");
      // Every forget at its longest: names of 253 characters and the node's key.
      forgets.add(Forgetting.sign(Signing.key(author), author, RogueMember.longName(10_000 + n),
          Optional.of(Signing.key(author).publicKey()), 1, now));
      reservations.add(new Wire.Reservation(RogueMember.longName(20_000 + n), subnet, now, now + 1000));
      holdings.add(new Holding(RogueMember.longName(30_000 + n), subnet));
    }
    return new Wire.Sync(entries, forgets, reservations, holdings);
  }

  /** A record with every field at its longest: name and hostname of 253 characters, a 64-character version. */
  private static Wire.SyncEntry entry(String name, int n, long now) {
    try {
      NodeRecord r = new NodeRecord(name, RogueMember.longName(40_000 + n), InetAddress.getByAddress(new byte[] {
          (byte) 192, (byte) 168, (byte) (n >> 8), (byte) n}), Members.mac(9),
          Cidr.parse("10.244." + (3 + n % 253) + ".0/24"), SubnetSource.ALLOCATED, now, Plausibility.MAX_VERSION,
          "v".repeat(64), now);
      return new Wire.SyncEntry(Signing.announce(r, now, true), true, now);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int held(JGroupsMesh m) {
    MeshSnapshot s = m.snapshot();
    return s.peers().size() + s.rejected().size();
  }

  private static long refused(JGroupsMesh m, String reason) {
    return m.snapshot().counters().refusals().byReason().getOrDefault(reason, 0L);
  }
}
