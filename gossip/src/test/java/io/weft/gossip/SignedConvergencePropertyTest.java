package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.Peer;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The same signed messages (each node's announcements at several incarnations and versions, an operator's
 * forget, a rogue's record of its own) plus what a rogue forges from them (another node's record signed with
 * its own key, a broken signature), heard by three members in any order and with any duplication, through
 * the real decoding, statement check and state ({@link RecordExchange} over {@link MeshState}): every member
 * ends with the same map, the newest honest record of each node not forgotten, and nothing forged. The
 * honest nodes' names are bound before, as each member's handshakes with them bind them (a name never
 * seen is bound by whichever good signature comes first: trust on first use, docs/security.md).
 */
class SignedConvergencePropertyTest {
  private static final Path ROOT;
  private static final long NOW = System.currentTimeMillis();
  private static final List<String> NODES = List.of("n1", "n2", "n3");
  private static final String FORGOTTEN = "n3";
  /** Bound on every member before, as its handshakes with them bind them. */
  private static final List<String> HONEST = List.of("n1", "n2", "n3");

  static {
    try {
      ROOT = Files.createTempDirectory("weft-signed-convergence");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private final Wire wire = new Wire(512);
  private int members;

  @AfterContainer
  static void removeRoot() throws IOException {
    try (Stream<Path> s = Files.walk(ROOT)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 80)
  void everyMemberHoldsTheSameRecordsForAnyOrderAndDuplication(@ForAll Random random,
      @ForAll @IntRange(min = 1, max = 3) int perNode) throws Exception {
    List<byte[]> messages = new ArrayList<>();
    Map<String, Announcement> newest = new TreeMap<>();
    List<Wire.SyncEntry> entries = new ArrayList<>();
    for (int n = 0; n < NODES.size(); n++) {
      String name = NODES.get(n);
      for (int k = 0; k < perNode; k++) {
        Announcement a = Signing.announce(record(name, n, 1 + random.nextInt(3), 1 + random.nextInt(3), n), 100, true);
        messages.add(wire.encode(new Wire.Announce(a)));
        entries.add(new Wire.SyncEntry(a, false, 0));
        newest.merge(name, a, (x, y) -> y.isNewerThan(x) ? y : x);
        // What a rogue makes of it: the node moved onto the rogue's subnet at a higher incarnation, signed
        // with the rogue's key; and the honest record with one bit of its signature flipped. (Not of the node
        // forgotten below: a forget unbinds its name, which the first good signature then takes, rogue's or not.)
        if (name.equals(FORGOTTEN)) {
          continue;
        }
        Announcement forged = Announcement.sign(Signing.key("rogue"), record(name, 9, 99, 1, 9), 0, true);
        messages.add(wire.encode(new Wire.Announce(forged)));
        messages.add(wire.encode(new Wire.Sync(List.of(new Wire.SyncEntry(forged, false, 0),
            new Wire.SyncEntry(RogueMember.tampered(a), false, 0)), List.of(), List.of(), List.of())));
      }
    }
    // The rogue's record of itself is a good one: bound on first sight wherever it comes first.
    Announcement own = Signing.announce(record("rogue", 9, 1, 1, 9), 100, true);
    messages.add(wire.encode(new Wire.Announce(own)));
    newest.put("rogue", own);
    // An operator on n1 forgets n3 at its newest incarnation: a forget and a relay of it.
    String forgotten = FORGOTTEN;
    Forgetting f = Signing.forget("n1", forgotten, newest.get(forgotten).record().incarnation(), NOW);
    messages.add(wire.encode(new Wire.Forget(f)));
    messages.add(wire.encode(new Wire.Sync(entries, List.of(f), List.of(), List.of())));
    newest.remove(forgotten);

    Map<String, NodeRecord> expected = newest.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().record(), (x, y) -> x, TreeMap::new));
    for (int m = 0; m < 3; m++) {
      List<byte[]> heard = new ArrayList<>(messages);
      for (byte[] msg : messages) {
        for (int copies = random.nextInt(3); copies > 0; copies--) {
          heard.add(msg);
        }
      }
      Collections.shuffle(heard, random);
      ExchangeHarness member = new ExchangeHarness(ROOT.resolve("m" + (members++)), HONEST, NOW);
      for (byte[] msg : heard) {
        member.receive(msg);
      }
      Map<String, NodeRecord> held = new TreeMap<>();
      member.state.derive(NOW, false).peers().forEach((name, p) -> held.put(name, p.record()));
      member.state.derive(NOW, false).rejected().forEach(r -> held.put(r.nodeName(), member.state.known(r.nodeName())
          .orElseThrow().announcement().record()));
      assertEquals(expected, held, "member " + member.name + " after " + heard.size() + " messages");
      MeshSnapshot.Refusals refusals = member.records.refusals();
      assertTrue(refusals.byReason().get("key_conflict") > 0 && refusals.byReason().get("bad_signature") > 0,
          refusals.byReason().toString());
      assertFalse(member.trust.bindings().bindings().keyOf(forgotten).isPresent(), "the forget cleared the binding");
      assertEquals(Optional.of(Signing.key("rogue").publicKey()), member.trust.bindings().bindings().keyOf("rogue"));
    }
  }

  private static NodeRecord record(String name, int n, long incarnation, long version, int subnet) {
    return new NodeRecord(name, name, IpAddresses.parse("192.168.1." + (10 + n)), Members.mac(10 + n),
        Cidr.parse("10.244." + (10 + subnet) + ".0/24"), SubnetSource.ALLOCATED, incarnation, version, "0.1.0", 0);
  }
}
