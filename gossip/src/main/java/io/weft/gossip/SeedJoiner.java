package io.weft.gossip;

import io.weft.gossip.MeshSnapshot.SeedStatus;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.jgroups.JChannel;
import org.jgroups.View;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joining through the seeds: each attempt collects the candidates (seeds, DNS answers, remembered peers),
 * probes them with bare TCP connects, hands discovery the ones that answered and connects the channel;
 * while none answers it retries with backoff. A first view that shows the attempt failed (every seed
 * refused this node, or a seed accepted TCP and nobody answered discovery) leaves and retries.
 *
 * <p>Threads: the state here (the seed status, whether the last probe reached a seed) is owned by the
 * event loop. The blocking work (DNS, the probe, {@code JChannel.connect} and {@code disconnect}) runs
 * on one connector thread, which touches no state: it hands each result to the loop as an event.
 */
final class SeedJoiner {
  private static final Logger log = LoggerFactory.getLogger(SeedJoiner.class);

  /** What the mesh does for the joiner: mark the snapshot stale, fail the join. */
  interface Outcome {
    void seedStatusChanged();

    void failed(Exception e);
  }

  private final MeshConfig config;
  private final MeshEventLoop loop;
  private final MeshTransport transport;
  private final PeerMemory peers;
  private final JoinTimeline timeline;
  private final Outcome outcome;
  private final ExecutorService connector;
  private final boolean hasSeeds;
  // Owned by the event loop.
  private JChannel channel;
  private String name = "mesh";
  private SeedStatus status = SeedStatus.notStarted();
  private boolean probeReachedSeed;
  private long refusedBeforeAttempt;
  private boolean stopped;

  SeedJoiner(MeshConfig config, MeshEventLoop loop, MeshTransport transport, PeerMemory peers, JoinTimeline timeline,
      Outcome outcome) {
    this.config = config;
    this.loop = loop;
    this.transport = transport;
    this.peers = peers;
    this.timeline = timeline;
    this.outcome = outcome;
    this.hasSeeds = !config.seeds().isEmpty() || config.dnsQuery() != null;
    String id = config.endpoint();
    this.connector = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "weft-mesh-connect-" + id);
      t.setDaemon(true);
      return t;
    });
  }

  SeedStatus status() {
    return status;
  }

  /** The first attempt, with the channel built (on the loop). */
  void start(JChannel channel, String nodeName) {
    this.channel = channel;
    this.name = nodeName;
    attempt();
  }

  private void attempt() {
    if (stopped) {
      return;
    }
    int attempts = status.attempts() + 1;
    setStatus(new SeedStatus(SeedStatus.State.JOINING, status.candidates(), attempts, 0, "joining the mesh"));
    refusedBeforeAttempt = transport.refusedOutgoing();
    List<InetSocketAddress> remembered = peers.remembered();
    onConnector(() -> {
      List<InetSocketAddress> candidates = peers.collect(remembered);
      List<InetSocketAddress> live = transport.reachable(candidates);
      loop.post(() -> probed(attempts, candidates, live));
    });
  }

  /** The probe's result, on the loop: retry, or connect through the candidates that answered. */
  private void probed(int attempts, List<InetSocketAddress> candidates, List<InetSocketAddress> live) {
    if (stopped) {
      return;
    }
    peers.setCandidates(candidates);
    List<String> shown = candidates.stream().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).toList();
    boolean reachable = candidates.isEmpty() || !live.isEmpty();
    if (!reachable && hasSeeds && !isFirstListedSeed()) {
      retryLater(shown, attempts, "no seed peer reachable (" + String.join(", ", shown) + ")");
      return;
    }
    if (!reachable && hasSeeds) {
      // Seeds that list each other and start together would otherwise wait for each other forever
      // (nobody listens before it connects). One rule every seed evaluates the same way: the first
      // listed seed by address starts the mesh; the others keep retrying until it answers.
      log.info("no other seed of {} answers ({}) and this node is the first seed by address: starting the mesh",
          name, shown);
    }
    if (!reachable) {
      log.info("no remembered peer of {} answers ({}): starting a new mesh", name, shown);
    }
    probeReachedSeed = hasSeeds && !live.isEmpty();
    timeline.probed();
    onConnector(() -> {
      try {
        transport.discoverThrough(live);
        channel.connect(config.clusterName());
        loop.post(() -> setStatus(new SeedStatus(status.state(), shown, attempts, 0, status.message())));
      } catch (Exception e) {
        loop.post(() -> connectFailed(e, shown, attempts));
      }
    });
  }

  private void connectFailed(Exception e, List<String> shown, int attempts) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof BindException || String.valueOf(e.getMessage()).contains("no port available")) {
      outcome.failed(new IllegalStateException("mesh port " + config.endpoint() + " is busy or not bindable: " + e.getMessage(), e));
    } else if (stopped) {
      outcome.failed(new IllegalStateException("mesh closed while joining", e));
    } else {
      log.warn("join attempt {} through {} failed: {}", attempts, shown, e.toString());
      retryLater(shown, attempts, "no seed peer reachable (" + String.join(", ", shown) + ")");
    }
  }

  /**
   * The first view of an attempt: empty when the join stands, else why it does not (the channel then
   * leaves and the attempt is retried later).
   */
  Optional<String> checkFirstView(View v) {
    if (hasSeeds && v.size() == 1 && transport.refusedOutgoing() > refusedBeforeAttempt) {
      // The seeds answered but refused this node (wrong or missing secret, other version): a mesh of
      // one would only hide that.
      return Optional.of("every reachable seed refused this node: " + transport.lastOutgoingRefusal());
    }
    if (v.size() == 1 && probeReachedSeed && !transport.discoveryAnswered()) {
      // A seed accepted our TCP connection, yet nobody answered discovery within the join timeout: the
      // mesh is there but too busy (many joins at once). A mesh of one would grant itself a subnet that
      // may collide; try again instead. (Seeds starting together do answer each other, as joiners, so
      // one of them still starts the mesh.)
      return Optional.of("a seed accepted the connection but no member answered discovery within "
          + config.timing().joinTimeout().toMillis() + " ms");
    }
    timeline.firstView();
    setStatus(new SeedStatus(SeedStatus.State.JOINED, status.candidates(), status.attempts(), 0,
        "joined a mesh of " + v.size()));
    return Optional.empty();
  }

  /** Leaves the view, then tries again after the backoff, saying why. */
  void leaveAndRetry(String why) {
    onConnector(() -> {
      channel.disconnect();
      loop.post(() -> retryLater(status.candidates(), status.attempts(), why));
    });
  }

  /** Leaves the view and joins again at once (the merge probe's rejoin). */
  void leaveAndJoinAgain(Runnable whenLeft) {
    onConnector(() -> {
      try {
        channel.disconnect();
      } finally {
        loop.post(() -> {
          whenLeft.run();
          attempt();
        });
      }
    });
  }

  /** DNS answers change as nodes come and go: merge probes follow them (housekeeping, on the loop). */
  void refreshCandidates() {
    if (config.dnsQuery() == null || stopped) {
      return;
    }
    List<InetSocketAddress> remembered = peers.remembered();
    onConnector(() -> {
      List<InetSocketAddress> fresh = peers.collect(remembered);
      loop.post(() -> peers.setCandidates(fresh));
    });
  }

  /** The join has failed for good or the mesh left: the status says why. */
  void ended(String why) {
    setStatus(new SeedStatus(SeedStatus.State.LEFT, status.candidates(), status.attempts(), 0, why));
  }

  /** No more attempts; the connector is interrupted. */
  void stop() {
    stopped = true;
    connector.shutdownNow();
  }

  private void retryLater(List<String> candidates, int attempts, String why) {
    if (stopped) {
      return;
    }
    Duration t = config.timing().retryMin().multipliedBy(1L << Math.min(attempts - 1, 16));
    if (t.compareTo(config.timing().retryMax()) > 0) {
      t = config.timing().retryMax();
    }
    long next = System.currentTimeMillis() + t.toMillis();
    String msg = why + ", attempt " + attempts + "; retrying in " + t.toMillis() + " ms";
    if (attempts == 1 || Integer.bitCount(attempts) == 1) {
      log.warn("{}: {}", name, msg);
    }
    setStatus(new SeedStatus(SeedStatus.State.RETRYING, candidates, attempts, next, msg));
    loop.schedule(t, this::attempt);
  }

  private void setStatus(SeedStatus s) {
    status = s;
    outcome.seedStatusChanged();
  }

  private void onConnector(Runnable work) {
    try {
      connector.execute(work);
    } catch (RejectedExecutionException e) {
      // stopped
    }
  }

  /**
   * This node is one of its own seeds (a DaemonSet gives every node the same --peer list) and sorts
   * first among them by address and port. DNS answers are not counted: resolving them here again
   * would cost a lookup per attempt, and a DNS-only mesh has other seeds' bootstrap problems anyway.
   */
  private boolean isFirstListedSeed() {
    InetSocketAddress self = new InetSocketAddress(config.bindAddress(), config.port());
    return config.seeds().contains(self) && config.seeds().stream().allMatch(seed -> compareAddresses(self, seed) <= 0);
  }

  static int compareAddresses(InetSocketAddress a, InetSocketAddress b) {
    byte[] x = a.getAddress() == null ? new byte[0] : a.getAddress().getAddress();
    byte[] y = b.getAddress() == null ? new byte[0] : b.getAddress().getAddress();
    int byBytes = Arrays.compareUnsigned(x, y);
    return byBytes != 0 ? byBytes : Integer.compare(a.getPort(), b.getPort());
  }
}
