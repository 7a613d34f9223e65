package io.weft.dataplane.netfilter;

import io.weft.core.egress.EgressPlan;
import io.weft.dataplane.PacketFilter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PacketFilter} through the {@code iptables-save}/{@code iptables-restore} executables of both
 * backends, so Weft's rules sit where the host's other rules are: a Docker host on Debian 12 uses
 * iptables-nft, older hosts iptables-legacy, and a DROP policy in either one drops pod traffic whatever
 * the other says.
 *
 * <p>Which backend is in use is read, not assumed, each pass (as kube-proxy's iptables wrapper does): a
 * backend is in use when it has any table. The forwarding rules go into every backend in use (each can
 * drop); the NAT rules into one only, the primary: the backend other programs use more (their rules and
 * non-ACCEPT policies; nft when tied, Debian's default), and are removed from the other. With nothing in use, the primary
 * gets both. Every write is one {@code iptables-restore --noflush} transaction per backend.
 */
public final class IptablesFilter implements PacketFilter {
  private static final Logger log = LoggerFactory.getLogger(IptablesFilter.class);
  private static final List<String> SEARCH = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin");
  private static final long TIMEOUT_SECONDS = 10;

  private final List<String> namespacePrefix;
  private final String where;

  /**
   * @param netns the network namespace to act in ({@code /run/netns/X}, {@code /proc/PID/ns/net}), or null
   *              for the caller's own (the commands then run as they are; otherwise through nsenter)
   */
  public IptablesFilter(Path netns) {
    this.namespacePrefix = netns == null ? List.of() : List.of("nsenter", "--net=" + netns, "--");
    this.where = netns == null ? "this namespace" : netns.toString();
  }

  /** One backend's executables. */
  private record Backend(String name, String save, String restore, boolean notifies) {}

  /** A backend and what it holds now. */
  private record Found(Backend backend, Map<String, IptablesRules.Table> tables) {}

  @Override
  public FilterResult converge(EgressPlan plan) {
    FilterResult r = pass(IptablesRules.forwardRules(plan), IptablesRules.natRules(plan));
    return new FilterResult(r.backends(), r.changes(), r.errors(), nftDrops(plan.clusterCidr().toString()));
  }

  @Override
  public FilterResult remove() {
    return pass(List.of(), List.of());
  }

  /** Other tools' nftables chains that drop forwarded pod traffic; none when nft is not installed. */
  private List<String> nftDrops(String clusterCidr) {
    Optional<String> nft = find("nft");
    if (nft.isEmpty()) {
      return List.of();
    }
    Result r = run(List.of(nft.get(), "list", "ruleset"), null);
    return r.exit() == 0 ? NftForwardChains.dropping(r.output(), clusterCidr) : List.of();
  }

  private FilterResult pass(List<String> forward, List<String> nat) {
    List<String> errors = new ArrayList<>();
    List<Found> found = read(errors);
    if (found.isEmpty()) {
      if (errors.isEmpty()) {
        errors.add("no iptables executables (iptables-nft-save or iptables-legacy-save) on this host: install iptables");
      }
      return new FilterResult(List.of(), 0, errors, List.of());
    }
    Found primary = primary(found);
    int changes = 0;
    for (Found f : found) {
      boolean inUse = !f.tables().isEmpty() || f == primary;
      List<String> wantForward = inUse ? forward : List.of();
      List<String> wantNat = f == primary ? nat : List.of();
      StringBuilder tx = new StringBuilder();
      IptablesRules.section(IptablesRules.FILTER, f.tables().get(IptablesRules.FILTER), IptablesRules.FORWARD,
          IptablesRules.FORWARD_CHAIN, wantForward).ifPresent(tx::append);
      IptablesRules.section(IptablesRules.NAT, f.tables().get(IptablesRules.NAT), IptablesRules.POSTROUTING,
          IptablesRules.NAT_CHAIN, wantNat).ifPresent(tx::append);
      if (tx.isEmpty()) {
        continue;
      }
      Result r = run(List.of(f.backend().restore(), "-w", "5", "--noflush"), tx.toString());
      if (r.exit() == 0) {
        changes++;
      } else {
        errors.add("could not write Weft's rules with " + f.backend().restore() + " in " + where + ": "
            + r.output().strip() + " (exit " + r.exit() + ")");
        log.debug("refused transaction:\n{}", tx);
      }
    }
    List<Found> after = changes > 0 ? read(errors) : found;
    List<BackendState> states = new ArrayList<>();
    for (Found f : after) {
      IptablesRules.Table filter = f.tables().get(IptablesRules.FILTER);
      IptablesRules.Table natTable = f.tables().get(IptablesRules.NAT);
      if (f.tables().isEmpty()) {
        continue;
      }
      states.add(new BackendState(f.backend().name(), f.backend().notifies(),
          filter == null ? null : filter.policies().get(IptablesRules.FORWARD),
          !forward.isEmpty() && IptablesRules.holds(filter, IptablesRules.FORWARD, IptablesRules.FORWARD_CHAIN, forward),
          !nat.isEmpty() && IptablesRules.holds(natTable, IptablesRules.POSTROUTING, IptablesRules.NAT_CHAIN, nat),
          IptablesRules.dropsBeforeJump(filter)));
    }
    return new FilterResult(states, changes, errors, List.of());
  }

  /** The primary backend: the one other programs use more (nft, listed first, when tied). */
  private static Found primary(List<Found> found) {
    Found best = null;
    for (Found f : found) {
      if (best == null || IptablesRules.foreignUse(f.tables()) > IptablesRules.foreignUse(best.tables())) {
        best = f;
      }
    }
    return best;
  }

  /** Each backend whose executables exist and answer, nft first. */
  private List<Found> read(List<String> errors) {
    List<Found> out = new ArrayList<>();
    for (Backend b : backends()) {
      Result r = run(List.of(b.save()), null);
      if (r.exit() != 0) {
        errors.add("could not read the " + b.name() + " rules with " + b.save() + " in " + where + ": "
            + r.output().strip() + " (exit " + r.exit() + ")");
        continue;
      }
      out.add(new Found(b, IptablesRules.parse(r.output())));
    }
    return out;
  }

  private static List<Backend> backends() {
    List<Backend> out = new ArrayList<>();
    find("iptables-nft-save").ifPresent(save -> out.add(new Backend("nft", save,
        find("iptables-nft-restore").orElse("iptables-nft-restore"), true)));
    find("iptables-legacy-save").ifPresent(save -> out.add(new Backend("legacy", save,
        find("iptables-legacy-restore").orElse("iptables-legacy-restore"), false)));
    return out;
  }

  private static Optional<String> find(String name) {
    List<String> dirs = new ArrayList<>(SEARCH);
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(0, List.of(path.split(":")));
    }
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
        .filter(Files::isExecutable).map(Path::toString).findFirst();
  }

  private record Result(int exit, String output) {}

  private Result run(List<String> command, String stdin) {
    List<String> argv = new ArrayList<>(namespacePrefix);
    argv.addAll(command);
    Process p;
    try {
      p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Result(127, e.getMessage());
    }
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // The command ended before reading all of it: its output says why.
    }
    try (InputStream out = p.getInputStream()) {
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      out.transferTo(text);
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(124, String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + "s");
      }
      return new Result(p.exitValue(), text.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      p.destroyForcibly();
      return new Result(1, "could not read the output of " + String.join(" ", command) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(130, "interrupted");
    }
  }
}
