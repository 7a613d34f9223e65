package io.weft.gossip;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The mesh port under pressure from outsiders (no secret): slow-loris hellos and silent connections
 * must not hold up honest joins. The figures printed here are the ones in docs/security.md.
 */
class AcceptPathTest {
  private static final byte[] SECRET = "an accept-path test secret, 32 bytes+".getBytes(StandardCharsets.US_ASCII);
  /** Far above a join's usual ~1 s on this machine, far below the 7-10 s and "never" measured before. */
  private static final long JOIN_BOUND_MS = 5000;
  private final Members members = new Members();
  private final List<Pressure> pressure = new ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    pressure.forEach(Pressure::close);
    members.close();
  }

  /** Connections from {@code sources} attacker addresses that each hold the port as long as they can. */
  private final class Pressure implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Socket> open = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    /** @param trickle send a valid-looking hello one byte every 1.5 s; else send nothing at all */
    Pressure(InetSocketAddress target, int connections, boolean trickle) {
      for (int i = 0; i < connections; i++) {
        InetAddress from = members.ip(1000 + i);
        Thread t = new Thread(() -> hold(from, target, trickle), "attacker-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }

    private void hold(InetAddress from, InetSocketAddress target, boolean trickle) {
      byte[] hello = new byte[38];
      new SecureRandom().nextBytes(hello);
      System.arraycopy("WEFT".getBytes(StandardCharsets.US_ASCII), 0, hello, 0, 4);
      hello[4] = 2;
      hello[5] = 1;
      while (running.get()) {
        try (Socket s = new Socket()) {
          s.bind(new InetSocketAddress(from, 0));
          s.connect(target, 1000);
          synchronized (open) {
            open.add(s);
          }
          OutputStream out = s.getOutputStream();
          InputStream in = s.getInputStream();
          s.setSoTimeout(1500);
          for (int i = 0; running.get(); i++) {
            if (trickle && i < hello.length) {
              out.write(hello[i]);
              out.flush();
            }
            try {
              if (in.read() < 0) {
                break; // the member hung up: connect again at once
              }
            } catch (java.net.SocketTimeoutException e) {
              // still held open
            }
          }
        } catch (IOException e) {
          sleep(20);
        }
      }
    }

    @Override
    public void close() {
      running.set(false);
      synchronized (open) {
        open.forEach(s -> {
          try {
            s.close();
          } catch (IOException ignored) {
            // closing the attacker's own sockets
          }
        });
      }
      threads.forEach(t -> {
        try {
          t.join(3000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private long joinMillis(JGroupsMesh m, int i) throws Exception {
    long t0 = System.nanoTime();
    m.join(members.node(i)).get(Members.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void threeNodesJoinInTheirUsualTimeWhileSlowLorisClientsHoldTheSeedsPort() throws Exception {
    JGroupsMesh seed = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    joinMillis(seed, 1);
    pressure.add(new Pressure(members.seed(1), 10, true));
    sleep(2000); // every attacker connection is in the middle of its hello
    List<Long> joins = new ArrayList<>();
    for (int i = 2; i <= 4; i++) {
      JGroupsMesh m = members.tcpMember(i, List.of(members.seed(1)), c -> c.withSecret(SECRET));
      joins.add(joinMillis(m, i));
    }
    await().atMost(Members.PATIENCE).until(() -> seed.snapshot().converged() && seed.snapshot().viewSize() == 4);
    System.out.println("accept path: joins of 3 nodes while 10 slow-loris clients trickle hellos: " + joins + " ms");
    joins.forEach(ms -> assertTrue(ms < JOIN_BOUND_MS, "join took " + ms + " ms: " + joins));
    assertTrue(seed.snapshot().counters().refusedConnections() > 0, "the slow clients are refused and counted");
  }

  @Test
  void aRestartingNodeRejoinsInItsUsualTimeWhileTwentySilentConnectionsAreHeldOpen() throws Exception {
    JGroupsMesh a = members.tcpMember(1, List.of(), c -> c.withSecret(SECRET));
    joinMillis(a, 1);
    JGroupsMesh b = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    long before = joinMillis(b, 2);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && a.snapshot().viewSize() == 2);

    pressure.add(new Pressure(members.seed(1), 20, false));
    sleep(1000);
    b.leave();
    b.close();
    JGroupsMesh again = members.tcpMember(2, List.of(members.seed(1)), c -> c.withSecret(SECRET));
    long rejoin = joinMillis(again, 2);
    await().atMost(Members.PATIENCE).until(() -> a.snapshot().converged() && a.snapshot().viewSize() == 2);
    System.out.println("accept path: join " + before + " ms; rejoin after a restart while 20 silent connections"
        + " are held open: " + rejoin + " ms (" + again.joinBreakdown() + ")");
    assertTrue(rejoin < JOIN_BOUND_MS, "rejoin took " + rejoin + " ms");
  }
}
