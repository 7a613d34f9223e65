package io.weft.dataplane.netlink;

import io.weft.core.model.Route;
import io.weft.dataplane.Link;
import io.weft.dataplane.LinkEvent;
import io.weft.dataplane.NeighbourEvent;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NetworkEventListener;
import io.weft.dataplane.NetworkEvents;
import io.weft.dataplane.RouteEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription to RTNLGRP_LINK, RTNLGRP_NEIGH and RTNLGRP_IPV4_ROUTE of one namespace, and to
 * nf_tables changes (NFNLGRP_NFTABLES, read by a second thread of its own; absent where the kernel has no
 * nf_tables, the subscription then goes on without it). The multicast socket joins the
 * groups when the subscription is opened, so nothing is missed between {@code events()} and
 * {@code subscribe}; the events thread starts with the first listener.
 *
 * <p>The events thread owns everything it touches: the sockets and the index-to-name map it keeps from
 * link events (route messages carry only the device index). When the kernel reports ENOBUFS, events were
 * dropped: listeners are told to resync, and the names are read again.
 */
public final class NetlinkEvents implements NetworkEvents {
  private static final Logger log = LoggerFactory.getLogger(NetlinkEvents.class);
  /** How long a receive blocks: bounds how long {@link #close()} waits for the thread. */
  private static final Duration POLL = Duration.ofMillis(100);

  private final NetlinkSocket events;
  /** Null when nf_tables notifications are unavailable. */
  private final NetlinkSocket filterEvents;
  private final NetlinkSocket requests;
  private final String where;
  private final List<NetworkEventListener> listeners = new CopyOnWriteArrayList<>();
  private final Consumer<NetlinkEvents> onClose;
  private final Map<Integer, String> names = new HashMap<>();
  private volatile boolean closed;
  private Thread thread;
  private Thread filterThread;

  private NetlinkEvents(NetlinkSocket events, NetlinkSocket filterEvents, NetlinkSocket requests, String where,
      Consumer<NetlinkEvents> onClose) {
    this.events = events;
    this.filterEvents = filterEvents;
    this.requests = requests;
    this.where = where;
    this.onClose = onClose;
  }

  /** Opens both sockets inside the namespace at {@code netns} (null: here). */
  public static NetlinkEvents open(Native nat, Namespaces namespaces, Path netns, Consumer<NetlinkEvents> onClose) {
    String where = netns == null ? "this namespace" : netns.toString();
    return namespaces.call(netns, "subscribe to network events of " + where, () -> {
      NetlinkSocket ev = NetlinkSocket.open(nat, POLL, Nl.RTNLGRP_LINK, Nl.RTNLGRP_NEIGH, Nl.RTNLGRP_IPV4_ROUTE);
      NetlinkSocket nf = null;
      try {
        nf = NetlinkSocket.open(nat, Nl.NETLINK_NETFILTER, POLL, Nl.NFNLGRP_NFTABLES);
      } catch (NetlinkException e) {
        log.info("no nf_tables change notifications in {} ({}): packet filter rules are re-checked by polling",
            where, e.getMessage());
      }
      try {
        return new NetlinkEvents(ev, nf, NetlinkSocket.open(nat, Duration.ofSeconds(10)), where, onClose);
      } catch (RuntimeException e) {
        ev.close();
        if (nf != null) {
          nf.close();
        }
        throw e;
      }
    });
  }

  @Override
  public synchronized void subscribe(NetworkEventListener listener) {
    if (closed) {
      throw new IllegalStateException("this event subscription is closed");
    }
    listeners.add(listener);
    if (thread == null) {
      thread = new Thread(this::run, "weft-netlink-events");
      thread.setDaemon(true);
      thread.start();
      if (filterEvents != null) {
        filterThread = new Thread(this::runFilterEvents, "weft-netfilter-events");
        filterThread.setDaemon(true);
        filterThread.start();
      }
    }
  }

  private void run() {
    refreshNames();
    while (!closed) {
      List<NetlinkMessage> batch;
      try {
        batch = events.receive("read network events of " + where, false);
      } catch (NetlinkException e) {
        if (closed) {
          break;
        }
        String reason = e.errno() == NetlinkException.ENOBUFS
            ? "the kernel dropped network events (ENOBUFS: the event socket's buffer overflowed)"
            : "reading network events failed: " + e.getMessage();
        log.warn("{} in {}; listeners must re-read the kernel state", reason, where);
        refreshNames();
        listeners.forEach(l -> deliver(() -> l.onResyncNeeded(reason)));
        continue;
      }
      for (NetlinkMessage m : batch) {
        dispatch(m);
      }
    }
  }

  /** Any nf_tables message is news; a batch of them is one notice (listeners re-read, they do not decode). */
  private void runFilterEvents() {
    while (!closed) {
      List<NetlinkMessage> batch;
      try {
        batch = filterEvents.receive("read nf_tables events of " + where, false);
      } catch (NetlinkException e) {
        if (closed) {
          break;
        }
        // ENOBUFS included: a lost notice is one more re-read.
        listeners.forEach(l -> deliver(l::onPacketFilterChanged));
        continue;
      }
      if (!batch.isEmpty()) {
        listeners.forEach(l -> deliver(l::onPacketFilterChanged));
      }
    }
  }

  private void dispatch(NetlinkMessage m) {
    switch (m.type()) {
      case Nl.RTM_NEWLINK, Nl.RTM_DELLINK -> {
        Link l = LinkCodec.decode(m);
        if (l == null) {
          return;
        }
        boolean deleted = m.type() == Nl.RTM_DELLINK;
        if (deleted) {
          names.remove(l.index());
        } else {
          names.put(l.index(), l.name());
        }
        LinkEvent e = new LinkEvent(deleted, l);
        listeners.forEach(x -> deliver(() -> x.onLinkChanged(e)));
      }
      case Nl.RTM_NEWROUTE, Nl.RTM_DELROUTE -> {
        Route r = RouteCodec.decode(m, this::name);
        if (r == null) {
          return;
        }
        RouteEvent e = new RouteEvent(m.type() == Nl.RTM_DELROUTE, r);
        listeners.forEach(x -> deliver(() -> x.onRouteChanged(e)));
      }
      case Nl.RTM_NEWNEIGH, Nl.RTM_DELNEIGH -> {
        int family = NeighbourCodec.family(m);
        if (family != Nl.AF_INET && family != Nl.AF_BRIDGE) {
          return;
        }
        NeighbourEvent e = new NeighbourEvent(m.type() == Nl.RTM_DELNEIGH, name(NeighbourCodec.index(m)),
            family == Nl.AF_BRIDGE);
        listeners.forEach(x -> deliver(() -> x.onNeighbourChanged(e)));
      }
      default -> log.debug("ignoring netlink message type {}", m.type());
    }
  }

  private String name(int index) {
    String n = names.get(index);
    if (n == null) {
      try {
        List<NetlinkMessage> r = requests.execute(LinkCodec.getByIndex(index), "look up link #" + index);
        for (NetlinkMessage m : r) {
          Link l = LinkCodec.decode(m);
          if (l != null) {
            names.put(l.index(), l.name());
            n = l.name();
          }
        }
      } catch (NetlinkException e) {
        log.debug("link #{} is gone: {}", index, e.getMessage());
      }
    }
    return n;
  }

  private void refreshNames() {
    try {
      names.clear();
      for (NetlinkMessage m : requests.dump(LinkCodec.dumpRequest(), "list links of " + where)) {
        Link l = LinkCodec.decode(m);
        if (l != null) {
          names.put(l.index(), l.name());
        }
      }
    } catch (NetlinkException e) {
      log.warn("could not read the link names of {}: {}", where, e.getMessage());
    }
  }

  private static void deliver(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      log.error("a network event listener failed; the events thread goes on", e);
    }
  }

  /** Waits for a reader thread to end; true when it has (or never ran). */
  private static boolean join(Thread t) {
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(POLL.toMillis() * 20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return t == null || !t.isAlive();
  }

  @Override
  public void close() {
    Thread t;
    Thread f;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
      f = filterThread;
    }
    boolean stopped = join(t) & join(f);
    if (stopped) {
      events.close();
      requests.close();
      if (filterEvents != null) {
        filterEvents.close();
      }
    }
    onClose.accept(this);
  }
}
