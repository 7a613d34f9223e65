package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.plan.Holding;
import io.weft.core.net.IpAddresses;
import io.weft.gossip.trust.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireTest {
  private final Wire wire = new Wire(512);

  private static Announcement announcement() {
    return Signing.announce(new NodeRecord("node-1", "host-1", IpAddresses.parse("192.168.1.11"), Members.mac(1),
        Cidr.parse("10.244.1.0/24"), SubnetSource.CONFIGURED, 3, 7, "0.1.0", 1764138000000L), 42, true);
  }

  @Test
  void everyMessageSurvivesTheRoundTrip() throws Exception {
    List<Wire.Msg> all = List.of(
        new Wire.Announce(announcement()),
        new Wire.SyncRequest(),
        new Wire.Sync(List.of(new Wire.SyncEntry(announcement(), true, 99)),
            List.of(Signing.forget("node-1", "gone", 4, 1000)),
            List.of(new Wire.Reservation("new", Cidr.parse("10.244.9.0/24"), 5, 6)),
            List.of(new Holding("node-1", Cidr.parse("10.244.1.0/24")))),
        new Wire.AllocRequest(Signing.request("node-2", Optional.of(Cidr.parse("10.244.2.0/24")), 8, true)),
        new Wire.AllocRequest(Signing.request("node-3", Optional.empty(), 0, false)),
        new Wire.AllocGrant(new Wire.Reservation("node-2", Cidr.parse("10.244.2.0/24"), 8, 9)),
        new Wire.Forget(Signing.forget("node-1", "node-4", 2, 3)),
        new Wire.Agreed(List.of(new Holding("node-1", Cidr.parse("10.244.1.0/24")),
            new Holding("node-2", Cidr.parse("10.244.2.0/24")))));
    for (Wire.Msg m : all) {
      byte[] b = wire.encode(m);
      Wire.Msg back = wire.decode(b, 0, b.length);
      assertEquals(m, back);
      assertArrayEquals(b, wire.encode(back), "a relay sends on exactly the bytes it received");
    }
    Wire.Announce a = (Wire.Announce) wire.decode(wire.encode(new Wire.Announce(announcement())), 0,
        wire.encode(new Wire.Announce(announcement())).length);
    assertTrue(a.announcement().statement().verifies(), "what was signed still verifies after the round trip");
    assertEquals(Signing.key("node-1").publicKey(), a.announcement().statement().author());
    assertEquals(42, a.announcement().claimedAtMillis());
  }

  @Test
  void garbageIsRefusedAsMalformedAndNeverThrowsAnythingElse() {
    Random random = new Random(42);
    byte[] valid = wire.encode(new Wire.Sync(List.of(new Wire.SyncEntry(announcement(), false, 0)), List.of(),
        List.of(), List.of(new Holding("node-1", Cidr.parse("10.244.1.0/24")))));
    for (int i = 0; i < 5_000; i++) {
      byte[] b;
      if (i % 2 == 0) {
        b = new byte[random.nextInt(64)];
        random.nextBytes(b);
      } else {
        b = valid.clone();
        b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
        b = java.util.Arrays.copyOf(b, random.nextInt(b.length + 1));
      }
      byte[] input = b;
      try {
        wire.decode(input, 0, input.length);
      } catch (Wire.MalformedMessageException expected) {
        // refused: fine
      }
    }
    byte[] huge = {0x57, 0x46, 1, 3, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    assertThrows(Wire.MalformedMessageException.class, () -> wire.decode(huge, 0, huge.length));
  }

  @Test
  void aListLongerThanTheCapIsRefusedAsOverCapBeforeItIsRead() {
    Wire small = new Wire(2);
    List<Wire.SyncEntry> three = List.of(new Wire.SyncEntry(announcement(), false, 0),
        new Wire.SyncEntry(announcement(), false, 0), new Wire.SyncEntry(announcement(), false, 0));
    byte[] b = wire.encode(new Wire.Sync(three, List.of(), List.of(), List.of()));
    Wire.OverCapException e = assertThrows(Wire.OverCapException.class, () -> small.decode(b, 0, b.length));
    assertTrue(e.getMessage().contains("3 records"), e.getMessage());
    byte[] tombstones = wire.encode(new Wire.Sync(List.of(), List.of(Signing.forget("x", "a", 1, 1),
        Signing.forget("x", "b", 1, 1), Signing.forget("x", "c", 1, 1)), List.of(), List.of()));
    assertThrows(Wire.OverCapException.class, () -> small.decode(tombstones, 0, tombstones.length));
    List<Holding> threeHoldings = List.of(new Holding("a", Cidr.parse("10.244.1.0/24")),
        new Holding("b", Cidr.parse("10.244.2.0/24")), new Holding("c", Cidr.parse("10.244.3.0/24")));
    for (Wire.Msg m : List.of(new Wire.Agreed(threeHoldings), new Wire.Sync(List.of(), List.of(), List.of(),
        threeHoldings))) {
      byte[] h = wire.encode(m);
      Wire.OverCapException held = assertThrows(Wire.OverCapException.class, () -> small.decode(h, 0, h.length));
      assertTrue(held.getMessage().contains("3 subnet holdings"), held.getMessage());
    }
  }

  @Test
  void aStatementOfOneKindDoesNotVerifyAsAnother() throws Exception {
    Forgetting f = Signing.forget("node-1", "node-2", 1, 1);
    Statement asRequest = Statement.of(Statement.Kind.SUBNET_REQUEST, f.statement().body(), f.statement().author(),
        f.statement().signature());
    assertTrue(f.statement().verifies());
    assertFalse(asRequest.verifies(), "the kind is signed: a forget's bytes are no subnet request");
  }

  @Test
  void aNameLongerThanADnsNameIsMalformed() {
    String longName = "a".repeat(254);
    for (Wire.Msg m : List.of(new Wire.Forget(Signing.forget("node-1", longName, 1, 1)),
        new Wire.AllocRequest(Signing.request(longName, Optional.empty(), 0, false)),
        new Wire.AllocGrant(new Wire.Reservation(longName, Cidr.parse("10.244.2.0/24"), 1, 1)),
        new Wire.Agreed(List.of(new Holding(longName, Cidr.parse("10.244.2.0/24")))))) {
      byte[] b = wire.encode(m);
      Wire.MalformedMessageException e = assertThrows(Wire.MalformedMessageException.class,
          () -> wire.decode(b, 0, b.length));
      assertTrue(e.getMessage().contains("node name of 254 bytes"), e.getMessage());
    }
    byte[] ok = wire.encode(new Wire.Forget(Signing.forget("node-1", "a".repeat(253), 1, 1)));
    assertDoesNotThrow(() -> wire.decode(ok, 0, ok.length));
  }
}
