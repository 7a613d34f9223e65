package io.weft.gossip;

import io.weft.gossip.trust.FrameInputStream;
import io.weft.gossip.trust.FrameOutputStream;
import io.weft.gossip.trust.Handshake;
import io.weft.gossip.trust.Handshake.Credentials;
import io.weft.gossip.trust.Handshake.Established;
import io.weft.gossip.trust.Handshake.Role;
import io.weft.gossip.trust.HandshakeRefused;
import io.weft.gossip.trust.HandshakeRefused.Reason;
import io.weft.gossip.trust.KeyBindingStore;
import io.weft.gossip.trust.Handshake.Verdict;
import io.weft.gossip.trust.KeyBindings;
import io.weft.gossip.trust.KeyConflict;
import io.weft.gossip.trust.NodeKey;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs the pure {@link Handshake} over a socket: one deadline for the whole of it (every read waits
 * only for what is left of it, so a peer that trickles bytes gains nothing), then the peer's name
 * checked against the key bindings, then the frame streams in place. Stateless apart from the shared
 * credentials, bindings and counters: safe on any number of threads at once.
 */
final class HandshakeRunner {
  /** The whole handshake, both directions and (for an accepted connection) JGroups' first frame. */
  static final long DEADLINE_MILLIS = 2000;
  static final long DEADLINE_NANOS = TimeUnit.MILLISECONDS.toNanos(DEADLINE_MILLIS);

  private final Credentials credentials;
  private final KeyBindingStore bindings;
  private final ConnectionStats stats;
  private final SecureRandom random = new SecureRandom();

  HandshakeRunner(Credentials credentials, KeyBindingStore bindings, ConnectionStats stats) {
    this.credentials = credentials;
    this.bindings = bindings;
    this.stats = stats;
  }

  /**
   * Loads and initialises the JDK's X25519, Ed25519, HMAC and AES-GCM code with one handshake and one
   * frame in memory between two throwaway identities, so that the first real connection does not pay
   * for it (some tens of milliseconds cold). Stateless; for a spare core early in a process's start.
   */
  static void warmUp() {
    SecureRandom random = new SecureRandom();
    try {
      Handshake c = new Handshake(Role.CLIENT, Credentials.of(Optional.empty(),
          io.weft.gossip.trust.NodeIdentity.generate(random), "warm-up-client"), random);
      Handshake s = new Handshake(Role.SERVER, Credentials.of(Optional.empty(),
          io.weft.gossip.trust.NodeIdentity.generate(random), "warm-up-server"), random);
      // Both hellos first, as on a connection: each side sends its own before it reads the peer's.
      byte[] helloC = c.hello();
      byte[] helloS = s.hello();
      byte[] authS = s.onPeerHello(helloC);
      byte[] authC = c.onPeerHello(helloS);
      Established client = c.onPeerAuth(authS);
      s.onPeerAuth(authC);
      byte[] verdictC = c.verdict(Verdict.ACCEPTED);
      c.onPeerVerdict(s.verdict(Verdict.ACCEPTED));
      s.onPeerVerdict(verdictC);
      java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
      try (OutputStream out = new FrameOutputStream(wire, client.sendKey())) {
        out.write(helloC);
        out.flush();
      }
    } catch (IOException e) {
      throw new IllegalStateException("the mesh handshake fails in memory: " + e.getMessage(), e);
    }
  }

  /**
   * Establishes {@code s} or closes it. A server also waits (within the same deadline) for the peer's
   * first frame, JGroups' connection preamble, so that JGroups' acceptor thread, which reads it next,
   * never waits on the network.
   */
  void establish(MeshSocket s, Role role, long deadlineNanos) throws IOException {
    String peer = s.getInetAddress().getHostAddress() + ":" + s.getPort();
    int oldTimeout = s.getSoTimeout();
    DeadlineInput in = new DeadlineInput(stats.counted(s.rawIn()), s, deadlineNanos);
    OutputStream out = stats.counted(s.rawOut());
    try {
      Handshake h = new Handshake(role, credentials, random);
      send(out, h.hello());
      byte[] hello = in.readUpTo(Handshake.HELLO_LENGTH);
      if (hello.length == 0) {
        throw new HandshakeRefused(Reason.PROBE, "connection closed before any handshake byte (a port probe?)");
      }
      send(out, h.onPeerHello(hello));
      byte[] prefix = in.readUpTo(Handshake.AUTH_PREFIX);
      if (prefix.length < Handshake.AUTH_PREFIX) {
        // Not a wrong secret: the other side gave up first (its deadline passed while this node was
        // paused, or it refused this node's hello and says why in its own log).
        throw new HandshakeRefused(Reason.PEER_CLOSED, "the peer closed the connection during the handshake");
      }
      byte[] rest = in.readUpTo(Handshake.authLength(prefix));
      byte[] auth = Arrays.copyOf(prefix, prefix.length + rest.length);
      System.arraycopy(rest, 0, auth, prefix.length, rest.length);
      Established e = h.onPeerAuth(auth);
      Optional<HandshakeRefused> mine = admit(e, peer);
      send(out, h.verdict(mine.map(r -> r.reason() == Reason.KEY_CONFLICT ? Verdict.KEY_CONFLICT
          : Verdict.BINDINGS_FULL).orElse(Verdict.ACCEPTED)));
      if (mine.isPresent()) {
        throw mine.get();
      }
      byte[] verdict = in.readUpTo(Handshake.VERDICT_LENGTH);
      if (verdict.length == 0) {
        throw new HandshakeRefused(Reason.PEER_CLOSED, "the peer closed the connection before its verdict");
      }
      h.onPeerVerdict(verdict);
      FrameInputStream frames = new FrameInputStream(in, e.receiveKey(), e.peerName() + "@" + peer);
      if (role == Role.SERVER && !frames.awaitFrame()) {
        throw new HandshakeRefused(Reason.PEER_CLOSED, "the peer closed the connection before its first frame");
      }
      in.clearDeadline(oldTimeout);
      s.established(frames, new FrameOutputStream(out, e.sendKey()));
    } catch (SocketTimeoutException e) {
      throw refuse(s, peer, role, new HandshakeRefused(Reason.TIMEOUT,
          "no complete handshake within " + DEADLINE_MILLIS + " ms"));
    } catch (HandshakeRefused e) {
      throw refuse(s, peer, role, e);
    } catch (IOException | RuntimeException e) {
      close(s);
      throw e;
    }
  }

  /** The refusal when the peer's name is bound to another key here (or cannot be bound), else empty. */
  private Optional<HandshakeRefused> admit(Established e, String peer) {
    if (e.peerName().equals(credentials.nodeName())) {
      // This node's own name is bound to this node's key, always: another node started with this node's
      // --node-name (a copied config, a rogue) was bound to it here on first sight, unreported.
      NodeKey own = credentials.identity().publicKey();
      bindings.conflict(new KeyConflict(e.peerName(), own, e.peerKey(), peer, System.currentTimeMillis()));
      return Optional.of(new HandshakeRefused(Reason.KEY_CONFLICT, "a node presented this node's own name "
          + e.peerName() + " with key " + e.peerKey().fingerprint() + " (this node's is " + own.fingerprint()
          + "): give that node its own --node-name"));
    }
    KeyBindings.Verdict v = bindings.admit(e.peerName(), e.peerKey(), peer, System.currentTimeMillis());
    if (v == KeyBindings.Verdict.CONFLICT) {
      return Optional.of(new HandshakeRefused(Reason.KEY_CONFLICT, "node " + e.peerName() + " presented key "
          + e.peerKey().fingerprint() + " but is bound here to " + bindings.bindings().keyOf(e.peerName())
              .map(NodeKey::fingerprint).orElse("?") + " (run `meshctl forget " + e.peerName()
          + "` if it was reinstalled)"));
    }
    if (v == KeyBindings.Verdict.FULL) {
      return Optional.of(new HandshakeRefused(Reason.BUSY, "node " + e.peerName() + " is new and this node"
          + " already holds " + KeyBindingStore.MAX_BINDINGS + " key bindings"));
    }
    return Optional.empty();
  }

  /** Counts and logs the refusal, closes the socket, and gives the exception to throw. */
  HandshakeRefused refuse(Socket s, String peer, Role role, HandshakeRefused e) {
    stats.refused(s.getInetAddress(), peer, role == Role.CLIENT, e);
    close(s);
    return e;
  }

  private static void send(OutputStream out, byte[] message) throws IOException {
    out.write(message);
    out.flush();
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing a refused connection: nothing more to do
    }
  }

  /** The raw input, every read bounded by what is left of the deadline until it is cleared. */
  private static final class DeadlineInput extends FilterInputStream {
    private final Socket socket;
    private long deadlineNanos;

    DeadlineInput(InputStream in, Socket socket, long deadlineNanos) {
      super(in);
      this.socket = socket;
      this.deadlineNanos = deadlineNanos;
    }

    /** Up to {@code n} bytes: fewer only at end of stream. */
    byte[] readUpTo(int n) throws IOException {
      return readNBytes(n);
    }

    void clearDeadline(int soTimeout) throws SocketException {
      deadlineNanos = 0;
      socket.setSoTimeout(soTimeout);
    }

    @Override
    public int read() throws IOException {
      bound();
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      bound();
      return super.read(b, off, len);
    }

    private void bound() throws IOException {
      if (deadlineNanos == 0) {
        return;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException("handshake deadline passed");
      }
      socket.setSoTimeout((int) left);
    }
  }
}
