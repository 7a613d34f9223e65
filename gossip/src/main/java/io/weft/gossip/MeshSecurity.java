package io.weft.gossip;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.MulticastSocket;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jgroups.util.SocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every mesh TCP connection, with or without a secret, starts with a Weft handshake; with a secret,
 * every byte after it (JGroups' own connection preamble, headers and payloads alike) travels in
 * AES-256-GCM frames.
 *
 * <p>Handshake (both sides send, then read): {@code "WEFT" | version | mode | nonce(32)}. Mode 0 is
 * "no secret", 1 is "secret": a mismatch is refused by both sides, each logging which side lacks the
 * secret. With a secret, each side then sends {@code HMAC-SHA256(authKey, role | helloC | helloS)} and
 * checks the peer's in constant time; a wrong secret fails on both sides. Keys come from HKDF-SHA256
 * (RFC 5869): {@code prk = HKDF-Extract("weft-mesh-v1", secret)}, {@code authKey = Expand(prk, "auth")},
 * per-connection, per-direction keys {@code Expand(prk, "c2s"|"s2c" | nonceC | nonceS)}. Frames are
 * {@code length(4) | ciphertext+tag}, the length authenticated as AAD, the 96-bit nonce a per-direction
 * counter (unique because each connection has fresh keys), so frames cannot be forged, altered,
 * replayed, reordered or dropped without the connection failing.
 *
 * <p>Non-Weft bytes on the port (a scanner, garbage) are refused and counted; a connection closed
 * before any byte (a port probe) is dropped quietly.
 */
final class MeshSecurity implements SocketFactory {
  private static final Logger log = LoggerFactory.getLogger(MeshSecurity.class);
  private static final byte[] MAGIC = "WEFT".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int NONCE = 32;
  private static final int HELLO = MAGIC.length + 2 + NONCE;
  private static final int TAG_BITS = 128;
  private static final int MAX_FRAME = 16 * 1024;
  private static final int HANDSHAKE_TIMEOUT_MS = 2000;
  private static final long LOG_EVERY_MS = 60_000;

  private final Optional<byte[]> prk;
  private final byte[] authKey;
  private final String self;
  private final SecureRandom random = new SecureRandom();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong refusedOutgoing = new AtomicLong();
  private volatile String lastOutgoingRefusal = "";
  private final Map<InetAddress, Long> lastRefusalLog = new ConcurrentHashMap<>();

  /**
   * @param secret the shared mesh secret, or empty
   * @param self   this node's address, for log lines
   */
  MeshSecurity(Optional<byte[]> secret, String self) {
    this.self = self;
    this.prk = secret.map(s -> hmac("weft-mesh-v1".getBytes(StandardCharsets.US_ASCII), s));
    this.authKey = prk.map(p -> hmac(p, "auth".getBytes(StandardCharsets.US_ASCII))).orElse(null);
  }

  long bytesIn() {
    return bytesIn.get();
  }

  long bytesOut() {
    return bytesOut.get();
  }

  long refusedConnections() {
    return refused.get();
  }

  /** Connections this node opened that the handshake refused (its seeds do not accept it). */
  long refusedOutgoing() {
    return refusedOutgoing.get();
  }

  String lastOutgoingRefusal() {
    return lastOutgoingRefusal;
  }

  // ---- SocketFactory: JGroups TCP asks for plain sockets and gets handshaking ones ----

  @Override
  public Socket createSocket(String service) {
    return new MeshSocket();
  }

  @Override
  public Socket createSocket(String service, String host, int port) throws IOException {
    return connected(new java.net.InetSocketAddress(host, port), null, 0);
  }

  @Override
  public Socket createSocket(String service, InetAddress address, int port) throws IOException {
    return connected(new java.net.InetSocketAddress(address, port), null, 0);
  }

  @Override
  public Socket createSocket(String service, String host, int port, InetAddress localAddr, int localPort)
      throws IOException {
    return connected(new java.net.InetSocketAddress(host, port), localAddr, localPort);
  }

  @Override
  public Socket createSocket(String service, InetAddress address, int port, InetAddress localAddr, int localPort)
      throws IOException {
    return connected(new java.net.InetSocketAddress(address, port), localAddr, localPort);
  }

  private Socket connected(SocketAddress to, InetAddress localAddr, int localPort) throws IOException {
    MeshSocket s = new MeshSocket();
    if (localAddr != null) {
      s.bind(new java.net.InetSocketAddress(localAddr, localPort));
    }
    s.connect(to);
    return s;
  }

  @Override
  public ServerSocket createServerSocket(String service) throws IOException {
    return new MeshServerSocket();
  }

  @Override
  public ServerSocket createServerSocket(String service, int port) throws IOException {
    return bound(port, 50, null);
  }

  @Override
  public ServerSocket createServerSocket(String service, int port, int backlog) throws IOException {
    return bound(port, backlog, null);
  }

  @Override
  public ServerSocket createServerSocket(String service, int port, int backlog, InetAddress bindAddr)
      throws IOException {
    return bound(port, backlog, bindAddr);
  }

  private ServerSocket bound(int port, int backlog, InetAddress bindAddr) throws IOException {
    MeshServerSocket s = new MeshServerSocket();
    s.bind(new java.net.InetSocketAddress(bindAddr, port), backlog);
    return s;
  }

  @Override
  public DatagramSocket createDatagramSocket(String service) throws SocketException {
    throw udp(service);
  }

  @Override
  public DatagramSocket createDatagramSocket(String service, SocketAddress bindaddr) throws SocketException {
    throw udp(service);
  }

  @Override
  public DatagramSocket createDatagramSocket(String service, int port) throws SocketException {
    throw udp(service);
  }

  @Override
  public DatagramSocket createDatagramSocket(String service, int port, InetAddress laddr) throws SocketException {
    throw udp(service);
  }

  @Override
  public MulticastSocket createMulticastSocket(String service) throws IOException {
    throw udp(service);
  }

  @Override
  public MulticastSocket createMulticastSocket(String service, int port) throws IOException {
    throw udp(service);
  }

  @Override
  public MulticastSocket createMulticastSocket(String service, SocketAddress bindaddr) throws IOException {
    throw udp(service);
  }

  /** The mesh listens on its one TCP port only (diagnostics and UDP discovery are off by design). */
  private static SocketException udp(String service) {
    return new SocketException("weft mesh opens no UDP sockets (asked for " + service + ")");
  }

  @Override
  public void close(Socket sock) throws IOException {
    sock.close();
  }

  @Override
  public void close(ServerSocket sock) throws IOException {
    sock.close();
  }

  @Override
  public void close(DatagramSocket sock) {
    sock.close();
  }

  // ---- handshake ----

  /** The handshake failed: the connection is refused; {@code quiet} for port probes. */
  static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;
    final boolean quiet;

    RefusedException(String message, boolean quiet) {
      super(message);
      this.quiet = quiet;
    }
  }

  private void handshake(MeshSocket s, boolean client) throws IOException {
    InputStream rawIn = new Counting.In(s.rawIn(), bytesIn);
    OutputStream rawOut = new Counting.Out(s.rawOut(), bytesOut);
    String peer = s.getInetAddress().getHostAddress() + ":" + s.getPort();
    int oldTimeout = s.getSoTimeout();
    s.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
    try {
      byte[] mine = new byte[HELLO];
      System.arraycopy(MAGIC, 0, mine, 0, MAGIC.length);
      mine[4] = VERSION;
      mine[5] = (byte) (prk.isPresent() ? 1 : 0);
      byte[] nonce = new byte[NONCE];
      random.nextBytes(nonce);
      System.arraycopy(nonce, 0, mine, 6, NONCE);
      rawOut.write(mine);
      rawOut.flush();

      byte[] theirs = new byte[HELLO];
      int got = rawIn.readNBytes(theirs, 0, HELLO);
      if (got == 0) {
        throw new RefusedException("connection closed before any handshake byte (a port probe?)", true);
      }
      if (got < MAGIC.length || !Arrays.equals(Arrays.copyOf(theirs, MAGIC.length), MAGIC)) {
        throw new RefusedException("not a Weft mesh peer (its first bytes are not a Weft handshake)", false);
      }
      if (got < HELLO) {
        throw new RefusedException("handshake truncated after " + got + " bytes", false);
      }
      if (theirs[4] != VERSION) {
        throw new RefusedException("mesh handshake version " + theirs[4] + ", this agent speaks " + VERSION, false);
      }
      boolean theyHaveSecret = theirs[5] == 1;
      if (theyHaveSecret != prk.isPresent()) {
        throw new RefusedException(theyHaveSecret
            ? "the peer uses a mesh secret and this node has none (set --secret-file)"
            : "the peer has no mesh secret and this node requires one", false);
      }
      if (prk.isEmpty()) {
        s.streams(rawIn, rawOut);
        return;
      }
      byte[] helloC = client ? mine : theirs;
      byte[] helloS = client ? theirs : mine;
      byte[] myProof = hmac(authKey, concat(role(client), helloC, helloS));
      byte[] expected = hmac(authKey, concat(role(!client), helloC, helloS));
      rawOut.write(myProof);
      rawOut.flush();
      byte[] theirProof = rawIn.readNBytes(expected.length);
      if (theirProof.length < expected.length) {
        // Not a wrong secret: the other side gave up first (it connected while this node was paused,
        // and its handshake timed out before this side read the hello it had sent).
        throw new RefusedException("the peer closed the connection during the handshake", true);
      }
      if (!MessageDigest.isEqual(expected, theirProof)) {
        throw new RefusedException("the peer does not hold this mesh's secret (handshake proof mismatch)", false);
      }
      byte[] nonces = concat(Arrays.copyOfRange(helloC, 6, HELLO), Arrays.copyOfRange(helloS, 6, HELLO));
      byte[] c2s = hmac(prk.get(), concat("c2s".getBytes(StandardCharsets.US_ASCII), nonces, new byte[] {1}));
      byte[] s2c = hmac(prk.get(), concat("s2c".getBytes(StandardCharsets.US_ASCII), nonces, new byte[] {1}));
      s.streams(new GcmIn(rawIn, client ? s2c : c2s, peer), new GcmOut(rawOut, client ? c2s : s2c));
    } catch (SocketTimeoutException e) {
      throw refusedNow(s, peer, client,
          new RefusedException("no handshake within " + HANDSHAKE_TIMEOUT_MS + " ms", false));
    } catch (RefusedException e) {
      throw refusedNow(s, peer, client, e);
    } finally {
      if (!s.isClosed()) {
        s.setSoTimeout(oldTimeout);
      }
    }
  }

  private RefusedException refusedNow(MeshSocket s, String peer, boolean client, RefusedException e) {
    if (!e.quiet) {
      refused.incrementAndGet();
      if (client) {
        lastOutgoingRefusal = peer + ": " + e.getMessage();
        refusedOutgoing.incrementAndGet();
      }
      long now = System.currentTimeMillis();
      Long last = lastRefusalLog.get(s.getInetAddress());
      if (last == null || now - last >= LOG_EVERY_MS) {
        lastRefusalLog.put(s.getInetAddress(), now);
        log.warn("{}: refused mesh connection with {}: {}", self, peer, e.getMessage());
      } else {
        log.debug("{}: refused mesh connection with {}: {}", self, peer, e.getMessage());
      }
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // closing a refused connection: nothing more to do
    }
    return e;
  }

  private static byte[] role(boolean client) {
    return (client ? "client" : "server").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable in this JVM", e);
    }
  }

  private static byte[] nonce(long counter) {
    return ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
  }

  // ---- sockets ----

  /** A TCP socket whose streams exist only after the handshake. */
  private final class MeshSocket extends Socket {
    private volatile InputStream in;
    private volatile OutputStream out;

    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
      super.connect(endpoint, timeout);
      handshake(this, true);
    }

    InputStream rawIn() throws IOException {
      return super.getInputStream();
    }

    OutputStream rawOut() throws IOException {
      return super.getOutputStream();
    }

    void streams(InputStream in, OutputStream out) {
      this.in = in;
      this.out = out;
    }

    @Override
    public InputStream getInputStream() throws IOException {
      if (in == null) {
        throw new SocketException("mesh connection not established (no handshake)");
      }
      return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      if (out == null) {
        throw new SocketException("mesh connection not established (no handshake)");
      }
      return out;
    }
  }

  /** Accepts only connections that pass the handshake; refused ones are logged and skipped. */
  private final class MeshServerSocket extends ServerSocket {
    MeshServerSocket() throws IOException {
      super();
    }

    @Override
    public Socket accept() throws IOException {
      while (true) {
        if (isClosed()) {
          throw new SocketException("Socket is closed");
        }
        MeshSocket s = new MeshSocket();
        implAccept(s);
        try {
          handshake(s, false);
          return s;
        } catch (RefusedException e) {
          // logged and counted by the handshake; keep accepting
        } catch (IOException e) {
          log.debug("{}: mesh handshake with {} failed: {}", self, s.getRemoteSocketAddress(), e.toString());
          s.close();
        }
      }
    }
  }

  // ---- streams ----

  private static final class Counting {
    static final class In extends FilterInputStream {
      private final AtomicLong counter;

      In(InputStream in, AtomicLong counter) {
        super(in);
        this.counter = counter;
      }

      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          counter.incrementAndGet();
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          counter.addAndGet(n);
        }
        return n;
      }
    }

    static final class Out extends FilterOutputStream {
      private final AtomicLong counter;

      Out(OutputStream out, AtomicLong counter) {
        super(out);
        this.counter = counter;
      }

      @Override
      public void write(int b) throws IOException {
        out.write(b);
        counter.incrementAndGet();
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        counter.addAndGet(len);
      }
    }
  }

  /** Buffers plaintext and seals it into a frame on flush (or when a frame is full). */
  private static final class GcmOut extends OutputStream {
    private final OutputStream out;
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] buf = new byte[MAX_FRAME];
    private int n;
    private long counter;

    GcmOut(OutputStream out, byte[] key) {
      this.out = out;
      this.key = new SecretKeySpec(key, "AES");
      try {
        this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES/GCM unavailable in this JVM", e);
      }
    }

    @Override
    public void write(int b) throws IOException {
      if (n == buf.length) {
        seal();
      }
      buf[n++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (n == buf.length) {
          seal();
        }
        int k = Math.min(len, buf.length - n);
        System.arraycopy(b, off, buf, n, k);
        n += k;
        off += k;
        len -= k;
      }
    }

    @Override
    public void flush() throws IOException {
      if (n > 0) {
        seal();
      }
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }

    private void seal() throws IOException {
      try {
        int len = n + TAG_BITS / 8;
        byte[] header = ByteBuffer.allocate(4).putInt(len).array();
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce(counter++)));
        cipher.updateAAD(header);
        // One write per frame: a 4-byte write followed by the rest would, with Nagle's algorithm, hold
        // the rest back until the peer's (delayed, up to 40 ms) ACK of the first part.
        byte[] frame = new byte[4 + len];
        System.arraycopy(header, 0, frame, 0, 4);
        cipher.doFinal(buf, 0, n, frame, 4);
        out.write(frame);
        n = 0;
      } catch (GeneralSecurityException e) {
        throw new IOException("could not seal mesh frame: " + e.getMessage(), e);
      }
    }
  }

  /** Reads, authenticates and opens frames; any tampering fails the connection. */
  private static final class GcmIn extends InputStream {
    private final DataInputStream in;
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final String peer;
    private byte[] plain = new byte[0];
    private int pos;
    private long counter;

    GcmIn(InputStream in, byte[] key, String peer) {
      this.in = new DataInputStream(in);
      this.key = new SecretKeySpec(key, "AES");
      this.peer = peer;
      try {
        this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES/GCM unavailable in this JVM", e);
      }
    }

    @Override
    public int read() throws IOException {
      if (!fill()) {
        return -1;
      }
      return plain[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int k = Math.min(len, plain.length - pos);
      System.arraycopy(plain, pos, b, off, k);
      pos += k;
      return k;
    }

    @Override
    public int available() {
      return plain.length - pos;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }

    private boolean fill() throws IOException {
      while (pos >= plain.length) {
        int len;
        try {
          len = in.readInt();
        } catch (EOFException e) {
          return false;
        }
        if (len < TAG_BITS / 8 || len > MAX_FRAME + TAG_BITS / 8) {
          throw new IOException("mesh frame from " + peer + " claims " + len + " bytes: not a Weft frame");
        }
        byte[] sealed = new byte[len];
        in.readFully(sealed);
        try {
          cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce(counter++)));
          cipher.updateAAD(ByteBuffer.allocate(4).putInt(len).array());
          plain = cipher.doFinal(sealed);
          pos = 0;
        } catch (GeneralSecurityException e) {
          log.warn("mesh frame from {} failed authentication (tampered or replayed); closing the connection", peer);
          throw new IOException("mesh frame from " + peer + " failed authentication", e);
        }
      }
      return true;
    }
  }
}
