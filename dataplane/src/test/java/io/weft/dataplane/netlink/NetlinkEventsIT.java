package io.weft.dataplane.netlink;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.LinkEvent;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.NetworkEventListener;
import io.weft.dataplane.NetworkEvents;
import io.weft.dataplane.RouteEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The event stream of a namespace made for each test, driven from outside with `ip`. */
@RequiresRoot
class NetlinkEventsIT {
  private static final Logger log = LoggerFactory.getLogger(NetlinkEventsIT.class);
  TestNetns ns;
  NetlinkDataplane dp;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("events").withUplink();
    dp = NetlinkDataplane.in(ns.path());
  }

  @AfterEach
  void cleanup() {
    if (dp != null) {
      dp.close();
    }
    if (ns != null) {
      ns.close();
    }
  }

  /** Records what it is told, with the time it was told. */
  static final class Recorder implements NetworkEventListener {
    final Queue<Object> seen = new ConcurrentLinkedQueue<>();
    final Queue<Long> when = new ConcurrentLinkedQueue<>();

    @Override
    public void onRouteChanged(RouteEvent e) {
      seen.add(e);
      when.add(System.nanoTime());
    }

    @Override
    public void onLinkChanged(LinkEvent e) {
      seen.add(e);
      when.add(System.nanoTime());
    }

    @Override
    public void onResyncNeeded(String reason) {
      seen.add(reason);
      when.add(System.nanoTime());
    }
  }

  @Test
  void aRouteDeletedFromOutsideArrivesAsAnEvent() {
    Route r = Route.via(Cidr.parse("10.244.7.0/24"), IpAddresses.parse("192.168.50.12"), "d0");
    dp.routes().add(r);
    Recorder rec = new Recorder();
    try (NetworkEvents events = dp.events()) {
      events.subscribe(rec);
      ns.ip("route", "del", "10.244.7.0/24");
      long deletedAt = System.nanoTime();
      // The bound: seen within 100 ms. The kernel queues the notification inside `ip`'s own delete, so an
      // event pushed to a blocked reader is there at once (a few ms since ip started, measured); a miss here means
      // events are late or polled, not a slow machine.
      await().atMost(Duration.ofMillis(100)).pollInterval(Duration.ofMillis(2))
          .until(() -> rec.seen.contains(new RouteEvent(true, r)));
      List<Object> seen = new ArrayList<>(rec.seen);
      long at = new ArrayList<>(rec.when).get(seen.indexOf(new RouteEvent(true, r)));
      log.info("route deletion seen {} ms after `ip route del` returned (negative: before)", (at - deletedAt) / 1_000_000);

      ns.ip("link", "add", "br9", "type", "bridge");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> rec.seen.stream().anyMatch(e -> e instanceof LinkEvent le && !le.deleted()
              && "br9".equals(le.link().name()) && "bridge".equals(le.link().kind())));
      ns.ip("link", "del", "br9");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> rec.seen.stream().anyMatch(e -> e instanceof LinkEvent le && le.deleted()
              && "br9".equals(le.link().name())));

      dp.routes().add(r);
      await().atMost(Duration.ofSeconds(5)).until(() -> rec.seen.contains(new RouteEvent(false, r)));
    }
  }

  @Test
  void lostEventsAskForAResync() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Recorder rec = new Recorder();
    try (NetworkEvents events = dp.events()) {
      events.subscribe(new NetworkEventListener() {
        @Override
        public void onRouteChanged(RouteEvent e) {
          // a listener that stalls (breaking its contract) lets the kernel's queue overflow
          awaitQuietly(release);
          rec.onRouteChanged(e);
        }

        @Override
        public void onLinkChanged(LinkEvent e) {
          rec.onLinkChanged(e);
        }

        @Override
        public void onResyncNeeded(String reason) {
          rec.onResyncNeeded(reason);
        }
      });
      List<String> adds = new ArrayList<>();
      Cidr space = Cidr.parse("10.0.0.0/8");
      for (int i = 0; i < 25_000; i++) {
        adds.add("route add " + space.subnet(24, i) + " via 192.168.50.12 proto 87");
      }
      ns.batch(adds);
      release.countDown();
      await().atMost(Duration.ofSeconds(20))
          .until(() -> rec.seen.stream().anyMatch(e -> e instanceof String s && s.contains("ENOBUFS")));
      assertTrue(rec.seen.size() < 25_000, "some events were lost, and the listener was told");
    }
  }

  private static void awaitQuietly(CountDownLatch l) {
    try {
      l.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
