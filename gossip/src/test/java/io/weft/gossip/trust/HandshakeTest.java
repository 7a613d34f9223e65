package io.weft.gossip.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.gossip.trust.Handshake.Credentials;
import io.weft.gossip.trust.Handshake.Established;
import io.weft.gossip.trust.Handshake.Role;
import io.weft.gossip.trust.Handshake.Verdict;
import io.weft.gossip.trust.HandshakeRefused.Reason;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The pure handshake, run in memory: what it establishes, and every tampering it refuses. */
class HandshakeTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] SECRET = "a mesh secret of thirty-two bytes or more".getBytes(StandardCharsets.US_ASCII);
  private static final NodeIdentity A = NodeIdentity.generate(RANDOM);
  private static final NodeIdentity B = NodeIdentity.generate(RANDOM);

  private static Credentials creds(byte[] secret, NodeIdentity id, String name) {
    return Credentials.of(Optional.ofNullable(secret), id, name);
  }

  private static Handshake client(byte[] secret) {
    return new Handshake(Role.CLIENT, creds(secret, A, "node-a"), RANDOM);
  }

  private static Handshake server(byte[] secret) {
    return new Handshake(Role.SERVER, creds(secret, B, "node-b"), RANDOM);
  }

  /** The messages of one run, in the order both sides produce them. */
  private record Run(byte[] helloC, byte[] helloS, byte[] authC, byte[] authS, Established client, Established server) {}

  private static Run run(Handshake c, Handshake s) throws HandshakeRefused {
    byte[] helloC = c.hello();
    byte[] helloS = s.hello();
    byte[] authS = s.onPeerHello(helloC);
    byte[] authC = c.onPeerHello(helloS);
    Established client = c.onPeerAuth(authS);
    Established server = s.onPeerAuth(authC);
    byte[] verdictC = c.verdict(Verdict.ACCEPTED);
    c.onPeerVerdict(s.verdict(Verdict.ACCEPTED));
    s.onPeerVerdict(verdictC);
    return new Run(helloC, helloS, authC, authS, client, server);
  }

  /** A side that has sent its hello reads the peer's. */
  private static byte[] answer(Handshake h, byte[] peerHello) throws HandshakeRefused {
    h.hello();
    return h.onPeerHello(peerHello);
  }

  private static void refused(Reason reason, Executable e) {
    HandshakeRefused r = assertThrows(HandshakeRefused.class, e);
    assertEquals(reason, r.reason(), r.getMessage());
  }

  @Test
  void bothSidesLearnWhoTheOtherIsAndAgreeOnFreshKeysPerDirection() throws Exception {
    for (byte[] secret : new byte[][] {SECRET, null}) {
      Run r = run(client(secret), server(secret));
      assertEquals("node-b", r.client().peerName());
      assertEquals(B.publicKey(), r.client().peerKey());
      assertEquals("node-a", r.server().peerName());
      assertEquals(A.publicKey(), r.server().peerKey());
      assertArrayEquals(r.client().sendKey(), r.server().receiveKey());
      assertArrayEquals(r.server().sendKey(), r.client().receiveKey());
      assertFalse(Arrays.equals(r.client().sendKey(), r.client().receiveKey()), "a key per direction");
      Run again = run(client(secret), server(secret));
      assertFalse(Arrays.equals(r.client().sendKey(), again.client().sendKey()), "fresh keys per connection");
    }
  }

  @Test
  void aWrongSecretIsRefusedOnBothSides() throws Exception {
    Handshake c = client(SECRET);
    Handshake s = server("another mesh's secret, also long enough".getBytes(StandardCharsets.US_ASCII));
    Auths auths = hellos(c, s);
    byte[] authS = auths.server();
    byte[] authC = auths.client();
    refused(Reason.WRONG_SECRET, () -> c.onPeerAuth(authS));
    refused(Reason.WRONG_SECRET, () -> s.onPeerAuth(authC));
  }

  @Test
  void aSecretOnOneSideOnlyIsRefusedOnBothWithTheReason() throws Exception {
    Handshake c = client(SECRET);
    Handshake s = server(null);
    byte[] helloC = c.hello();
    byte[] helloS = s.hello();
    HandshakeRefused atServer = assertThrows(HandshakeRefused.class, () -> s.onPeerHello(helloC));
    assertTrue(atServer.getMessage().contains("this node has none"), atServer.getMessage());
    HandshakeRefused atClient = assertThrows(HandshakeRefused.class, () -> c.onPeerHello(helloS));
    assertTrue(atClient.getMessage().contains("has no mesh secret"), atClient.getMessage());
  }

  @Test
  void aRecordedSessionReplayedToANewConnectionIsRefused() throws Exception {
    Run recorded = run(client(SECRET), server(SECRET));
    // The attacker replays the server's messages to a new client: its fresh ephemeral key makes every
    // key and proof of the recorded run worthless.
    Handshake victim = client(SECRET);
    victim.hello();
    victim.onPeerHello(recorded.helloS());
    refused(Reason.WRONG_SECRET, () -> victim.onPeerAuth(recorded.authS()));
    // And the client's messages to a new server.
    Handshake server = server(SECRET);
    server.hello();
    server.onPeerHello(recorded.helloC());
    refused(Reason.WRONG_SECRET, () -> server.onPeerAuth(recorded.authC()));
  }

  @Test
  void reflectedMessagesAreRefused() throws Exception {
    Handshake s = server(SECRET);
    byte[] hello = s.hello();
    refused(Reason.REFLECTED, () -> s.onPeerHello(hello));
    // Its own auth sent back as the client's: the role is in the mac key and the signed label.
    Handshake s2 = server(SECRET);
    Handshake c2 = client(SECRET);
    byte[] helloC = c2.hello();
    s2.hello();
    byte[] authS = s2.onPeerHello(helloC);
    refused(Reason.WRONG_SECRET, () -> s2.onPeerAuth(authS));
  }

  @Test
  void aPeerHoldingThisNodesOwnKeyIsRefused() throws Exception {
    Handshake c = new Handshake(Role.CLIENT, creds(SECRET, A, "node-a"), RANDOM);
    Handshake s = new Handshake(Role.SERVER, creds(SECRET, A, "node-copy"), RANDOM);
    byte[] authS = hellos(c, s).server();
    refused(Reason.REFLECTED, () -> c.onPeerAuth(authS));
  }

  @Test
  void messagesOutOfOrderAreRefused() throws Exception {
    Handshake c = client(SECRET);
    refused(Reason.OUT_OF_ORDER, () -> c.onPeerHello(new byte[Handshake.HELLO_LENGTH]));
    Handshake c2 = client(SECRET);
    Handshake s2 = server(SECRET);
    byte[] helloC = c2.hello();
    byte[] helloS = s2.hello();
    byte[] authS = s2.onPeerHello(helloC);
    refused(Reason.OUT_OF_ORDER, () -> c2.onPeerAuth(authS));
    // The auth where the hello belongs (a peer that skips its hello) is not a hello.
    refused(Reason.NOT_WEFT, () -> c2.onPeerHello(Arrays.copyOf(authS, Handshake.HELLO_LENGTH)));
  }

  @Test
  void truncatedOrPaddedMessagesAreRefused() throws Exception {
    Handshake c = client(SECRET);
    Handshake s = server(SECRET);
    byte[] helloC = c.hello();
    for (int n = 5; n < Handshake.HELLO_LENGTH; n++) {
      byte[] cut = Arrays.copyOf(helloC, n);
      refused(Reason.MALFORMED, () -> answer(server(SECRET), cut));
    }
    byte[] helloS = s.hello();
    byte[] authS = s.onPeerHello(helloC);
    c.onPeerHello(helloS);
    for (int n = 0; n < authS.length; n++) {
      byte[] cut = Arrays.copyOf(authS, n);
      assertThrows(HandshakeRefused.class, () -> c.onPeerAuth(cut), "auth cut to " + n + " bytes");
    }
    refused(Reason.MALFORMED, () -> c.onPeerAuth(Arrays.copyOf(authS, authS.length + 1)));
    refused(Reason.MALFORMED, () -> Handshake.authLength(new byte[] {(byte) 0xff, (byte) 0xff}));
  }

  @Test
  void downgradesAreRefused() throws Exception {
    // Another version is refused, never negotiated down; the version and mode are in the transcript.
    byte[] helloC = client(SECRET).hello();
    byte[] v1 = helloC.clone();
    v1[4] = 1;
    HandshakeRefused old = assertThrows(HandshakeRefused.class, () -> answer(server(SECRET), v1));
    assertEquals(Reason.VERSION, old.reason());
    assertTrue(old.getMessage().contains("older Weft"), old.getMessage());
    byte[] noSecret = helloC.clone();
    noSecret[5] = 0;
    refused(Reason.SECRET_MISMATCH, () -> answer(server(SECRET), noSecret));
    // A man in the middle that swaps the client's ephemeral key cannot finish without the secret.
    Handshake c = client(SECRET);
    Handshake s = server(SECRET);
    byte[] hello = c.hello();
    byte[] helloS = s.hello();
    byte[] swapped = hello.clone();
    System.arraycopy(X25519.generate(RANDOM).publicKey(), 0, swapped, 6, 32);
    byte[] authS = s.onPeerHello(swapped);
    c.onPeerHello(helloS);
    refused(Reason.WRONG_SECRET, () -> c.onPeerAuth(authS));
  }

  @Test
  void aTamperedSignatureIsRefusedEvenWithoutASecret() throws Exception {
    Handshake c = client(null);
    Handshake s = server(null);
    byte[] authS = hellos(c, s).server();
    byte[] forged = authS.clone();
    forged[forged.length - 40] ^= 1; // in the signature; the mac then fails first
    refused(Reason.WRONG_SECRET, () -> c.onPeerAuth(forged));
  }

  /** Both auth messages, once both sides have sent their hello and read the other's. */
  private record Auths(byte[] client, byte[] server) {}

  private static Auths hellos(Handshake c, Handshake s) throws HandshakeRefused {
    byte[] helloC = c.hello();
    byte[] helloS = s.hello();
    byte[] authS = s.onPeerHello(helloC);
    return new Auths(c.onPeerHello(helloS), authS);
  }

  /** A client and a server that have verified each other's auth, before their verdicts. */
  private record Authenticated(Handshake c, Handshake s) {}

  private static Authenticated authenticated() throws HandshakeRefused {
    Handshake c = client(SECRET);
    Handshake s = server(SECRET);
    Auths auths = hellos(c, s);
    byte[] authS = auths.server();
    byte[] authC = auths.client();
    c.onPeerAuth(authS);
    s.onPeerAuth(authC);
    return new Authenticated(c, s);
  }

  @Test
  void aForgedVerdictIsRefused() throws Exception {
    Authenticated a = authenticated();
    Handshake c = a.c();
    Handshake s = a.s();
    byte[] refusal = s.verdict(Verdict.KEY_CONFLICT);
    c.verdict(Verdict.ACCEPTED);
    byte[] forged = refusal.clone();
    forged[0] = (byte) Verdict.ACCEPTED.ordinal();
    refused(Reason.MALFORMED, () -> c.onPeerVerdict(forged));
    HandshakeRefused why = assertThrows(HandshakeRefused.class, () -> client(SECRET).onPeerVerdict(refusal));
    assertEquals(Reason.OUT_OF_ORDER, why.reason(), "a verdict before the auth");
  }

  @Test
  void theRefusedSideIsToldItsKeyIsBoundToAnother() throws Exception {
    Authenticated a = authenticated();
    Handshake c = a.c();
    Handshake s = a.s();
    c.verdict(Verdict.ACCEPTED);
    byte[] refusal = s.verdict(Verdict.KEY_CONFLICT);
    HandshakeRefused e = assertThrows(HandshakeRefused.class, () -> c.onPeerVerdict(refusal));
    assertEquals(Reason.KEY_CONFLICT, e.reason());
    assertTrue(e.getMessage().contains("meshctl forget node-a"), e.getMessage());
  }

  @Test
  void credentialsRefuseANameNoPeerWouldAccept() {
    assertThrows(IllegalArgumentException.class, () -> creds(SECRET, A, "Node_A"));
    assertThrows(IllegalArgumentException.class, () -> creds(SECRET, A, "x".repeat(254)));
  }
}
