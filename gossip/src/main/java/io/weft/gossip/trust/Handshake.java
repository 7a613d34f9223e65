package io.weft.gossip.trust;

import io.weft.gossip.trust.HandshakeRefused.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The mesh handshake, without I/O: messages in, messages and keys out. One per connection, used by
 * one thread. Both sides send their hello at once, then their auth once they have the other's hello,
 * then their verdict once they have the other's auth: three one-way trips, one more than the handshake
 * before it (well under a millisecond on a LAN).
 *
 * <pre>
 * hello = "WEFT" | version 2 | mode (1 secret, 0 none) | X25519 ephemeral public key (32)
 * th    = SHA-256("weft-mesh-v2" | helloClient | helloServer)
 * prk   = HKDF-Extract(salt = HKDF-Extract("weft-mesh-v2", secret) or 32 zero bytes, X25519(e, E'))
 * auth  = length(2) | nameLength(1) | name | node key (32) | sig | mac
 *         sig = Ed25519(node key, "weft-mesh-v2 " role " auth" | th)
 *         mac = HMAC-SHA256(HKDF-Expand(prk, "mac " role | th, 32), nameLength | name | key | sig)
 * keys  = HKDF-Expand(prk, "c2s" | th2, 32), HKDF-Expand(prk, "s2c" | th2, 32),
 *         th2 = SHA-256(th | authClient | authServer)
 * verdict = code (0 accepted, 1 name bound to another key, 2 bindings full)
 *           | HMAC-SHA256(HKDF-Expand(prk, "verdict " role | th2, 32), code), first 16 bytes
 * </pre>
 *
 * <p>The verdict is the third flight: each side says whether it accepts the peer's name for its key
 * (the key bindings are the caller's), so a node refused for its key learns it, and why, instead of
 * seeing a connection closed for no reason (and starting a mesh of its own).
 *
 * <p>The secret admits (the mac: only a holder derives the mac keys); the node key speaks for the node
 * (the signature covers both ephemeral keys, so it is good for this connection only); the ephemeral
 * exchange gives forward secrecy (a secret or node key stolen later does not open recorded traffic).
 * The role is in every label, so nothing one side sends is valid when reflected back. The version and
 * mode are in the transcript and there is no negotiation: a peer of another version is refused, never
 * talked down to.
 */
public final class Handshake {
  public static final int VERSION = 2;
  public static final int HELLO_LENGTH = 4 + 1 + 1 + X25519.KEY_LENGTH;
  /** The auth message's length prefix. */
  public static final int AUTH_PREFIX = 2;
  private static final int MAX_NAME = 253;
  private static final int MAC_LENGTH = 32;
  private static final int MIN_AUTH = 1 + 1 + NodeKey.LENGTH + NodeIdentity.SIGNATURE_LENGTH + MAC_LENGTH;
  private static final int MAX_AUTH = MIN_AUTH - 1 + MAX_NAME;
  /** The verdict message: a code and a 16-byte tag. */
  public static final int VERDICT_LENGTH = 1 + 16;
  private static final byte[] MAGIC = "WEFT".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LABEL = "weft-mesh-v2".getBytes(StandardCharsets.US_ASCII);
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?");

  /** Which end of the TCP connection: the connecting side is the client. */
  public enum Role {
    CLIENT("client"),
    SERVER("server");

    private final String label;

    Role(String label) {
      this.label = label;
    }

    Role other() {
      return this == CLIENT ? SERVER : CLIENT;
    }

    byte[] bytes(String prefix, String suffix) {
      return (prefix + label + suffix).getBytes(StandardCharsets.US_ASCII);
    }
  }

  /**
   * What a node brings to every handshake.
   *
   * @param meshKey  {@code HKDF-Extract("weft-mesh-v2", secret)}, empty without a secret
   * @param identity the node's key
   * @param nodeName the name it speaks for
   */
  public record Credentials(Optional<byte[]> meshKey, NodeIdentity identity, String nodeName) {
    public Credentials {
      Objects.requireNonNull(meshKey, "meshKey");
      Objects.requireNonNull(identity, "identity");
      if (!validName(nodeName)) {
        throw new IllegalArgumentException("node name " + nodeName + " cannot be sent in a handshake");
      }
    }

    public static Credentials of(Optional<byte[]> secret, NodeIdentity identity, String nodeName) {
      return new Credentials(secret.map(s -> Hkdf.extract(LABEL, s)), identity, nodeName);
    }

    boolean hasSecret() {
      return meshKey.isPresent();
    }
  }

  /**
   * The handshake's result.
   *
   * @param peerName   the name the peer's key signed for
   * @param peerKey    the peer's node key (check it against the bindings before trusting the name)
   * @param sendKey    AES-256 key of this side's frames
   * @param receiveKey AES-256 key of the peer's frames
   */
  public record Established(String peerName, NodeKey peerKey, byte[] sendKey, byte[] receiveKey) {}

  /** This side's verdict on the peer's name and key (the caller checks them against its bindings). */
  public enum Verdict {
    ACCEPTED,
    KEY_CONFLICT,
    BINDINGS_FULL
  }

  private enum Step { START, HELLO_SENT, AUTH_SENT, AUTHENTICATED, VERDICT_SENT, DONE }

  private final Role role;
  private final Credentials credentials;
  private final X25519.Ephemeral ephemeral;
  private Step step = Step.START;
  private byte[] myHello;
  private byte[] transcript;
  private byte[] prk;
  private byte[] myAuth;
  private byte[] finalTranscript;

  public Handshake(Role role, Credentials credentials, SecureRandom random) {
    this(role, credentials, X25519.generate(random));
  }

  /** With a given ephemeral key: tests that replay a session need the same one twice. */
  Handshake(Role role, Credentials credentials, X25519.Ephemeral ephemeral) {
    this.role = Objects.requireNonNull(role, "role");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.ephemeral = ephemeral;
  }

  /** The first message. */
  public byte[] hello() throws HandshakeRefused {
    expect(Step.START);
    myHello = ByteBuffer.allocate(HELLO_LENGTH).put(MAGIC).put((byte) VERSION)
        .put((byte) (credentials.hasSecret() ? 1 : 0)).put(ephemeral.publicKey()).array();
    step = Step.HELLO_SENT;
    return myHello.clone();
  }

  /** Takes the peer's hello (exactly {@link #HELLO_LENGTH} bytes) and gives this side's auth message. */
  public byte[] onPeerHello(byte[] peerHello) throws HandshakeRefused {
    expect(Step.HELLO_SENT);
    if (peerHello.length < MAGIC.length || !Arrays.equals(peerHello, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new HandshakeRefused(Reason.NOT_WEFT, "not a Weft mesh peer (its first bytes are not a Weft handshake)");
    }
    if (peerHello.length < MAGIC.length + 1) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake truncated after " + peerHello.length + " bytes");
    }
    int version = peerHello[4] & 0xff;
    if (version != VERSION) {
      throw new HandshakeRefused(Reason.VERSION, "the peer speaks mesh handshake version " + version
          + " and this agent only " + VERSION + (version < VERSION ? " (the peer runs an older Weft: upgrade it)"
          : " (the peer runs a newer Weft: upgrade this node)"));
    }
    if (peerHello.length != HELLO_LENGTH) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake hello of " + peerHello.length + " bytes, not " + HELLO_LENGTH);
    }
    boolean peerHasSecret = peerHello[5] == 1;
    if (peerHello[5] != 0 && peerHello[5] != 1) {
      throw new HandshakeRefused(Reason.MALFORMED, "unknown handshake mode " + peerHello[5]);
    }
    if (peerHasSecret != credentials.hasSecret()) {
      throw new HandshakeRefused(Reason.SECRET_MISMATCH, peerHasSecret
          ? "the peer uses a mesh secret and this node has none (set --secret-file)"
          : "the peer has no mesh secret (it runs with --insecure) and this node requires one");
    }
    byte[] peerEphemeral = Arrays.copyOfRange(peerHello, 6, HELLO_LENGTH);
    if (Arrays.equals(peerEphemeral, ephemeral.publicKey())) {
      throw new HandshakeRefused(Reason.REFLECTED, "the peer sent this node's own handshake key back (a reflected handshake)");
    }
    byte[] shared;
    try {
      shared = X25519.agree(ephemeral.privateKey(), peerEphemeral);
    } catch (IllegalArgumentException e) {
      throw new HandshakeRefused(Reason.MALFORMED, "the peer's handshake key is unusable (" + e.getMessage() + ")");
    }
    byte[] helloC = role == Role.CLIENT ? myHello : peerHello;
    byte[] helloS = role == Role.CLIENT ? peerHello : myHello;
    transcript = sha256(LABEL, helloC, helloS);
    prk = Hkdf.extract(credentials.meshKey().orElse(new byte[Hkdf.HASH_LENGTH]), shared);
    byte[] name = credentials.nodeName().getBytes(StandardCharsets.US_ASCII);
    byte[] key = credentials.identity().publicKey().encoded();
    byte[] sig = credentials.identity().sign(signed(role));
    byte[] body = ByteBuffer.allocate(1 + name.length + key.length + sig.length)
        .put((byte) name.length).put(name).put(key).put(sig).array();
    byte[] mac = Hkdf.hmac(macKey(role), body);
    int length = body.length + mac.length;
    myAuth = ByteBuffer.allocate(AUTH_PREFIX + length).putShort((short) length).put(body).put(mac).array();
    step = Step.AUTH_SENT;
    return myAuth.clone();
  }

  /** The length of the peer's auth message after its 2-byte prefix. */
  public static int authLength(byte[] prefix) throws HandshakeRefused {
    if (prefix.length != AUTH_PREFIX) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake truncated in the peer's auth message");
    }
    int n = ((prefix[0] & 0xff) << 8) | (prefix[1] & 0xff);
    if (n < MIN_AUTH || n > MAX_AUTH) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake auth message of " + n + " bytes: not a Weft handshake");
    }
    return n;
  }

  /** Takes the peer's auth message (prefix included) and gives the peer's identity and the session keys. */
  public Established onPeerAuth(byte[] peerAuth) throws HandshakeRefused {
    expect(Step.AUTH_SENT);
    if (peerAuth.length < AUTH_PREFIX || authLength(Arrays.copyOf(peerAuth, AUTH_PREFIX)) != peerAuth.length - AUTH_PREFIX) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake auth message truncated or padded");
    }
    ByteBuffer b = ByteBuffer.wrap(peerAuth, AUTH_PREFIX, peerAuth.length - AUTH_PREFIX);
    int nameLength = b.get() & 0xff;
    if (nameLength == 0 || 1 + nameLength + NodeKey.LENGTH + NodeIdentity.SIGNATURE_LENGTH + MAC_LENGTH != b.remaining() + 1) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake auth message with a name of " + nameLength
          + " bytes does not add up");
    }
    byte[] body = Arrays.copyOfRange(peerAuth, AUTH_PREFIX, peerAuth.length - MAC_LENGTH);
    byte[] mac = Arrays.copyOfRange(peerAuth, peerAuth.length - MAC_LENGTH, peerAuth.length);
    Role peer = role.other();
    if (!MessageDigest.isEqual(Hkdf.hmac(macKey(peer), body), mac)) {
      throw new HandshakeRefused(Reason.WRONG_SECRET, credentials.hasSecret()
          ? "the peer does not hold this mesh's secret (handshake proof mismatch)"
          : "the peer's handshake proof does not verify (tampered in transit, or a reflected message)");
    }
    byte[] name = new byte[nameLength];
    b.get(name);
    byte[] key = new byte[NodeKey.LENGTH];
    b.get(key);
    byte[] sig = new byte[NodeIdentity.SIGNATURE_LENGTH];
    b.get(sig);
    String peerName = new String(name, StandardCharsets.US_ASCII);
    if (!validName(peerName)) {
      throw new HandshakeRefused(Reason.MALFORMED, "the peer's node name is not a lowercase DNS name");
    }
    NodeKey peerKey = NodeKey.of(key);
    if (!peerKey.verifies(signed(peer), sig)) {
      throw new HandshakeRefused(Reason.BAD_SIGNATURE, "node " + peerName + "'s key " + peerKey.fingerprint()
          + " did not sign this handshake");
    }
    if (peerKey.equals(credentials.identity().publicKey())) {
      throw new HandshakeRefused(Reason.REFLECTED, "the peer " + peerName + " holds this node's own identity key "
          + peerKey.fingerprint() + " (a copied state dir? give it a new one and forget it)");
    }
    byte[] authC = role == Role.CLIENT ? myAuth : peerAuth;
    byte[] authS = role == Role.CLIENT ? peerAuth : myAuth;
    byte[] th2 = sha256(transcript, authC, authS);
    finalTranscript = th2;
    byte[] c2s = Hkdf.expand(prk, concat("c2s".getBytes(StandardCharsets.US_ASCII), th2), 32);
    byte[] s2c = Hkdf.expand(prk, concat("s2c".getBytes(StandardCharsets.US_ASCII), th2), 32);
    step = Step.AUTHENTICATED;
    return role == Role.CLIENT ? new Established(peerName, peerKey, c2s, s2c) : new Established(peerName, peerKey, s2c, c2s);
  }

  /** This side's verdict on the peer, once its auth verified. */
  public byte[] verdict(Verdict v) throws HandshakeRefused {
    expect(Step.AUTHENTICATED);
    step = Step.VERDICT_SENT;
    return verdictMessage(role, (byte) v.ordinal());
  }

  /**
   * Takes the peer's verdict on this node.
   *
   * @throws HandshakeRefused with {@link Reason#KEY_CONFLICT} when the peer refused this node's key
   */
  public void onPeerVerdict(byte[] peerVerdict) throws HandshakeRefused {
    expect(Step.VERDICT_SENT);
    if (peerVerdict.length != VERDICT_LENGTH) {
      throw new HandshakeRefused(Reason.MALFORMED, "handshake verdict of " + peerVerdict.length + " bytes");
    }
    byte code = peerVerdict[0];
    if (code < 0 || code >= Verdict.values().length
        || !MessageDigest.isEqual(verdictMessage(role.other(), code), peerVerdict)) {
      throw new HandshakeRefused(Reason.MALFORMED, "the peer's handshake verdict does not verify");
    }
    step = Step.DONE;
    String me = credentials.nodeName() + " (key " + credentials.identity().publicKey().fingerprint() + ")";
    switch (Verdict.values()[code]) {
      case KEY_CONFLICT -> throw new HandshakeRefused(Reason.KEY_CONFLICT, "the peer refused this node, " + me
          + ": it has the name bound to another key (was this node's state dir replaced? run `meshctl forget "
          + credentials.nodeName() + "` on a member, then restart this agent)");
      case BINDINGS_FULL -> throw new HandshakeRefused(Reason.BUSY, "the peer refused this node, " + me
          + ": it holds as many key bindings as it may");
      case ACCEPTED -> {
        // established
      }
    }
  }

  private byte[] verdictMessage(Role r, byte code) {
    byte[] tag = Hkdf.hmac(Hkdf.expand(prk, concat(r.bytes("verdict ", ""), finalTranscript), 32), new byte[] {code});
    byte[] out = new byte[VERDICT_LENGTH];
    out[0] = code;
    System.arraycopy(tag, 0, out, 1, VERDICT_LENGTH - 1);
    return out;
  }

  static boolean validName(String name) {
    return name != null && name.length() <= MAX_NAME && NAME.matcher(name).matches();
  }

  private byte[] signed(Role r) {
    return concat(r.bytes("weft-mesh-v2 ", " auth"), transcript);
  }

  private byte[] macKey(Role r) {
    return Hkdf.expand(prk, concat(r.bytes("mac ", ""), transcript), 32);
  }

  private void expect(Step s) throws HandshakeRefused {
    if (step != s) {
      throw new HandshakeRefused(Reason.OUT_OF_ORDER, "handshake message out of order (expected the step after "
          + s + ", at " + step + ")");
    }
  }

  private static byte[] sha256(byte[]... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        d.update(p);
      }
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
