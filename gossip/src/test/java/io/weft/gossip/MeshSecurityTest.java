package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.gossip.trust.Handshake.Credentials;
import io.weft.gossip.trust.MeshTrust;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What an observer or a man in the middle on the mesh port sees and can do. */
class MeshSecurityTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PLAIN = "node-1 10.244.1.0/24 via 192.168.1.11".getBytes(StandardCharsets.US_ASCII);
  /** Client to server: hello, auth (prefix, name "client", node key, signature, mac), verdict. */
  private static final int HANDSHAKE_BYTES = 38 + 2 + 1 + 6 + 32 + 64 + 32 + 17;

  /** Copies client-to-server bytes (recording them, optionally flipping one after the handshake). */
  private static final class Proxy implements AutoCloseable {
    final ServerSocket listener;
    final ByteArrayOutputStream seen = new ByteArrayOutputStream();

    Proxy(InetAddress loopback, int serverPort, boolean tamper) throws IOException {
      listener = new ServerSocket(0, 5, loopback);
      Thread t = new Thread(() -> {
        try (Socket in = listener.accept(); Socket out = new Socket(loopback, serverPort)) {
          pump(out.getInputStream(), in.getOutputStream(), null, false);
          pump(in.getInputStream(), out.getOutputStream(), seen, tamper);
        } catch (IOException e) {
          // test over
        }
      }, "proxy");
      t.setDaemon(true);
      t.start();
    }

    private void pump(InputStream from, OutputStream to, ByteArrayOutputStream record, boolean tamper)
        throws IOException {
      Runnable r = () -> {
        try {
          long total = 0;
          int b;
          while ((b = from.read()) >= 0) {
            if (tamper && total == HANDSHAKE_BYTES + 10) {
              b ^= 0x01;
            }
            total++;
            if (record != null) {
              synchronized (record) {
                record.write(b);
              }
            }
            to.write(b);
            to.flush();
          }
          if (record == null) {
            to.close(); // the server hung up: so does the proxy, towards the client
          }
        } catch (IOException e) {
          // connection over
        }
      };
      if (record == null) {
        Thread t = new Thread(r, "proxy-back");
        t.setDaemon(true);
        t.start();
      } else {
        r.run();
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static byte[] exchange(boolean tamper, ByteArrayOutputStream[] seenOut) throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    MeshSecurity server = security("server");
    MeshSecurity client = security("client");
    try (ServerSocket listener = server.createServerSocket("test", 0, 5, lo);
        Proxy proxy = new Proxy(lo, listener.getLocalPort(), tamper)) {
      CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
        try (Socket s = listener.accept()) {
          return s.getInputStream().readNBytes(PLAIN.length);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      try (Socket s = client.createSocket("test", lo, proxy.listener.getLocalPort())) {
        OutputStream out = s.getOutputStream();
        out.write(PLAIN);
        out.flush();
        try {
          return received.get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } finally {
          seenOut[0] = proxy.seen;
        }
      }
    }
  }

  private static MeshSecurity security(String name) throws IOException {
    Path dir = Files.createTempDirectory("weft-mesh-security");
    MeshTrust trust = MeshTrust.open(dir);
    return new MeshSecurity(Credentials.of(Optional.of(SECRET), trust.identity(), name), trust.bindings(),
        new ConnectionStats(name), name);
  }

  @Test
  void anObserverSeesNoPlaintextAndTheReceiverGetsItIntact() throws Exception {
    ByteArrayOutputStream[] seen = new ByteArrayOutputStream[1];
    assertArrayEquals(PLAIN, exchange(false, seen));
    byte[] wire;
    synchronized (seen[0]) {
      wire = seen[0].toByteArray();
    }
    assertFalse(contains(wire, PLAIN), "plaintext on the wire");
    assertFalse(contains(wire, "node-1".getBytes(StandardCharsets.US_ASCII)), "node name on the wire");
    assertEquals(HANDSHAKE_BYTES + 4 + PLAIN.length + 16, wire.length, "hello, auth, verdict, one sealed frame");
  }

  @Test
  void aFlippedBitInTheFirstFrameFailsTheConnectionBeforeJGroupsSeesIt() throws Exception {
    InetAddress lo = InetAddress.getLoopbackAddress();
    MeshSecurity server = security("server");
    MeshSecurity client = security("client");
    try (ServerSocket listener = server.createServerSocket("test", 0, 5, lo);
        Proxy proxy = new Proxy(lo, listener.getLocalPort(), true)) {
      CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
        try {
          return listener.accept();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      try (Socket s = client.createSocket("test", lo, proxy.listener.getLocalPort())) {
        s.getOutputStream().write(PLAIN);
        s.getOutputStream().flush();
        s.setSoTimeout((int) Members.PATIENCE.toMillis());
        // The server opened the first frame in its handshake pool, found it forged, and hung up.
        assertEquals(-1, s.getInputStream().read());
      }
      Thread.sleep(200);
      assertFalse(accepted.isDone(), "a connection whose first frame fails is never handed to JGroups");
    }
  }
}
