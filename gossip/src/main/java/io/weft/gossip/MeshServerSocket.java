package io.weft.gossip;

import io.weft.gossip.trust.Handshake.Role;
import io.weft.gossip.trust.HandshakeRefused;
import io.weft.gossip.trust.HandshakeRefused.Reason;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh port. JGroups has one acceptor thread, and a handshake on it let one slow client (a hello
 * one byte every 1.5 s) hold every join for as long as it liked. So this socket's own thread accepts
 * TCP connections and hands each at once to a bounded pool of handshake threads; {@link #accept()}
 * gives JGroups only connections that completed the handshake, with their first frame read. Bounds:
 * the handshake's one deadline (2 s), at most {@link #MAX_PER_SOURCE} unauthenticated connections
 * from one address and {@link #MAX_HANDSHAKES} in all; beyond them a connection is closed at once
 * and counted.
 */
final class MeshServerSocket extends ServerSocket {
  static final int MAX_PER_SOURCE = 8;
  static final int MAX_HANDSHAKES = 32;
  private static final Logger log = LoggerFactory.getLogger(MeshServerSocket.class);
  /** Handed to {@link #accept()} once the socket is closed. */
  private static final Socket CLOSED = new Socket();

  private final HandshakeRunner runner;
  private final String self;
  private final ThreadPoolExecutor handshakes;
  /** Established connections for JGroups' acceptor; guarded by itself, with {@link #closing}. */
  private final BlockingQueue<Socket> established = new LinkedBlockingQueue<>();
  private boolean closing;
  /** Unauthenticated connections per remote address; guarded by itself. */
  private final Map<InetAddress, Integer> inHandshake = new HashMap<>();

  MeshServerSocket(HandshakeRunner runner, String self) throws IOException {
    super();
    this.runner = runner;
    this.self = self;
    this.handshakes = new ThreadPoolExecutor(0, MAX_HANDSHAKES, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "weft-mesh-handshake-" + self);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void bind(SocketAddress endpoint, int backlog) throws IOException {
    super.bind(endpoint, backlog);
    Thread t = new Thread(this::acceptLoop, "weft-mesh-accept-" + self);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public Socket accept() throws IOException {
    Socket s;
    try {
      s = established.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SocketException("interrupted while waiting for a mesh connection");
    }
    if (s == CLOSED) {
      established.add(CLOSED);
      throw new SocketException("Socket is closed");
    }
    return s;
  }

  @Override
  public void close() throws IOException {
    super.close();
    handshakes.shutdown();
    List<Socket> left = new ArrayList<>();
    synchronized (established) {
      closing = true;
      established.drainTo(left);
      established.add(CLOSED);
    }
    for (Socket s : left) {
      s.close();
    }
  }

  private void acceptLoop() {
    while (!isClosed()) {
      MeshSocket s = new MeshSocket(runner);
      try {
        implAccept(s);
      } catch (IOException e) {
        if (isClosed()) {
          return;
        }
        // Out of file descriptors, or a connection reset before it was accepted: keep accepting,
        // without spinning on a lasting error.
        log.debug("{}: accepting a mesh connection failed: {}", self, e.toString());
        pause();
        continue;
      }
      dispatch(s, System.nanoTime() + HandshakeRunner.DEADLINE_NANOS);
    }
  }

  private void dispatch(MeshSocket s, long deadlineNanos) {
    InetAddress from = s.getInetAddress();
    String peer = from.getHostAddress() + ":" + s.getPort();
    if (!reserve(from)) {
      runner.refuse(s, peer, Role.SERVER, new HandshakeRefused(Reason.BUSY,
          "more than " + MAX_PER_SOURCE + " unauthenticated connections from " + from.getHostAddress()));
      return;
    }
    try {
      handshakes.execute(() -> {
        try {
          runner.establish(s, Role.SERVER, deadlineNanos);
          handOver(s);
        } catch (IOException e) {
          // refused ones are counted and logged by the runner; the socket is closed
          log.debug("{}: mesh handshake with {} failed: {}", self, peer, e.toString());
        } finally {
          release(from);
        }
      });
    } catch (RejectedExecutionException e) {
      release(from);
      runner.refuse(s, peer, Role.SERVER, new HandshakeRefused(Reason.BUSY,
          MAX_HANDSHAKES + " mesh handshakes in progress already"));
    }
  }

  private void handOver(Socket s) throws IOException {
    synchronized (established) {
      if (!closing) {
        established.add(s);
        return;
      }
    }
    s.close();
  }

  private boolean reserve(InetAddress from) {
    synchronized (inHandshake) {
      int n = inHandshake.getOrDefault(from, 0);
      if (n >= MAX_PER_SOURCE) {
        return false;
      }
      inHandshake.put(from, n + 1);
      return true;
    }
  }

  private void release(InetAddress from) {
    synchronized (inHandshake) {
      inHandshake.computeIfPresent(from, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
