package io.weft.gossip;

import io.weft.gossip.trust.HandshakeRefused;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh connections' counters (bytes on the wire, refusals) and the refusal log, which says each
 * refusal at WARN at most once a minute per remote address. Thread-safe (atomics), shared by every
 * connection of one mesh.
 */
final class ConnectionStats {
  private static final Logger log = LoggerFactory.getLogger(MeshSecurity.class);
  private static final long LOG_EVERY_MS = 60_000;
  /** Addresses remembered for rate limiting; beyond it the memory starts over (a scan of many addresses). */
  private static final int MAX_LOGGED_ADDRESSES = 1024;

  private final String self;
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong refusedOutgoing = new AtomicLong();
  private volatile String lastOutgoingRefusal = "";
  private final Map<InetAddress, Long> lastLogged = new ConcurrentHashMap<>();

  /** @param self this node's mesh address, for log lines */
  ConnectionStats(String self) {
    this.self = self;
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

  /** Counts and logs a refusal, unless it is a quiet one (a port probe, the peer gave up first). */
  void refused(InetAddress remote, String peer, boolean outgoing, HandshakeRefused e) {
    if (e.reason().quiet()) {
      log.debug("{}: mesh connection with {} ended in the handshake: {}", self, peer, e.getMessage());
      return;
    }
    refused.incrementAndGet();
    if (outgoing) {
      lastOutgoingRefusal = peer + ": " + e.getMessage();
      refusedOutgoing.incrementAndGet();
    }
    long now = System.currentTimeMillis();
    Long last = lastLogged.get(remote);
    if (last == null || now - last >= LOG_EVERY_MS) {
      if (lastLogged.size() >= MAX_LOGGED_ADDRESSES) {
        lastLogged.clear();
      }
      lastLogged.put(remote, now);
      log.warn("{}: refused mesh connection with {}: {}", self, peer, e.getMessage());
    } else {
      log.debug("{}: refused mesh connection with {}: {}", self, peer, e.getMessage());
    }
  }

  InputStream counted(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          bytesIn.incrementAndGet();
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          bytesIn.addAndGet(n);
        }
        return n;
      }
    };
  }

  OutputStream counted(OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        out.write(b);
        bytesOut.incrementAndGet();
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        bytesOut.addAndGet(len);
      }
    };
  }
}
