package io.weft.dataplane.netfilter;

import io.weft.core.egress.EgressPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Weft's rules in {@code iptables-save} form and the transaction that takes a table from what
 * {@code iptables-save} printed to them. Pure: text in, text out.
 *
 * <p>Weft owns two chains, {@code WEFT-FORWARD} (filter) and {@code WEFT-POSTROUTING} (nat), and one
 * jump into each, inserted first in FORWARD and POSTROUTING. A jump is unavoidable there: a verdict in
 * one chain attached to a hook does not stop the packet from meeting another chain's DROP at the same
 * hook, and Docker's DROP policy is on the built-in FORWARD chain itself. Declaring a chain in an
 * {@code iptables-restore --noflush} transaction flushes it, so a chain is always rewritten whole and no
 * rule of another program is touched.
 */
public final class IptablesRules {
  public static final String FORWARD_CHAIN = "WEFT-FORWARD";
  public static final String NAT_CHAIN = "WEFT-POSTROUTING";
  static final String FILTER = "filter";
  static final String NAT = "nat";
  static final String FORWARD = "FORWARD";
  static final String POSTROUTING = "POSTROUTING";

  private IptablesRules() {}

  /**
   * One table as {@code iptables-save} printed it.
   *
   * @param policies built-in chain to policy ({@code FORWARD -> DROP})
   * @param chains   every chain, built-in and user-defined
   * @param rules    the {@code -A CHAIN ...} lines, in order
   */
  public record Table(String name, Map<String, String> policies, Set<String> chains, List<String> rules) {
    public Table {
      policies = Map.copyOf(policies);
      chains = Set.copyOf(chains);
      rules = List.copyOf(rules);
    }

    List<String> rulesOf(String chain) {
      String head = "-A " + chain + " ";
      return rules.stream().filter(r -> r.startsWith(head)).toList();
    }

    long jumps(String parent, String chain) {
      String jump = jump(parent, chain);
      return rules.stream().filter(jump::equals).count();
    }

    /** The jump is the first rule of the parent chain. */
    boolean jumpFirst(String parent, String chain) {
      List<String> parentRules = rulesOf(parent);
      return !parentRules.isEmpty() && parentRules.get(0).equals(jump(parent, chain));
    }
  }

  /** The tables of an {@code iptables-save} output, by name; comments and counters ignored. */
  public static Map<String, Table> parse(String save) {
    Map<String, Table> tables = new LinkedHashMap<>();
    String name = null;
    Map<String, String> policies = new LinkedHashMap<>();
    Set<String> chains = new LinkedHashSet<>();
    List<String> rules = new ArrayList<>();
    for (String raw : save.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("*")) {
        name = line.substring(1);
        policies = new LinkedHashMap<>();
        chains = new LinkedHashSet<>();
        rules = new ArrayList<>();
      } else if (name != null && line.startsWith(":")) {
        String[] words = line.substring(1).split("\\s+");
        chains.add(words[0]);
        if (words.length > 1 && !words[1].equals("-")) {
          policies.put(words[0], words[1]);
        }
      } else if (name != null && line.startsWith("-A ")) {
        rules.add(line);
      } else if (name != null && line.equals("COMMIT")) {
        tables.put(name, new Table(name, policies, chains, rules));
        name = null;
      }
    }
    return tables;
  }

  /** {@code -A WEFT-FORWARD -s CLUSTER -j ACCEPT}, then the same for {@code -d}. */
  public static List<String> forwardRules(EgressPlan plan) {
    return plan.forwardRules().stream().map(r -> "-A " + FORWARD_CHAIN
        + (r.source() != null ? " -s " + r.source() : " -d " + r.destination()) + " -j ACCEPT").toList();
  }

  /** The NAT chain's rules in order; empty when masquerade is off. */
  public static List<String> natRules(EgressPlan plan) {
    return plan.natRules().stream().map(r -> "-A " + NAT_CHAIN + " -s " + r.source()
        + (r.destination() == null ? "" : " -d " + r.destination()) + " -j " + r.action().name()).toList();
  }

  /**
   * Whether the table holds exactly {@code want} in {@code chain}, entered once from {@code parent} by its
   * first rule (nothing of Weft's when {@code want} is empty). First, because a rule before the jump could
   * drop pod traffic before Weft's accept sees it (a tool that re-inserts its own jump on top, as Docker does
   * with DOCKER-USER when it restarts).
   */
  public static boolean holds(Table table, String parent, String chain, List<String> want) {
    if (table == null) {
      return want.isEmpty();
    }
    if (want.isEmpty()) {
      return !table.chains().contains(chain) && table.jumps(parent, chain) == 0;
    }
    return table.chains().contains(chain) && table.rulesOf(chain).equals(want) && table.jumps(parent, chain) == 1
        && table.jumpFirst(parent, chain);
  }

  /**
   * The {@code iptables-restore --noflush} section that makes {@code current} hold exactly {@code want} in
   * {@code chain} entered once from {@code parent}; empty when it already does. An empty {@code want}
   * removes the chain and its jump.
   *
   * @param current the table as it is, null when the backend does not have it
   */
  public static Optional<String> section(String tableName, Table current, String parent, String chain,
      List<String> want) {
    if (holds(current, parent, chain, want)) {
      return Optional.empty();
    }
    long jumps = current == null ? 0 : current.jumps(parent, chain);
    StringBuilder b = new StringBuilder("*").append(tableName).append('\n');
    if (want.isEmpty()) {
      for (long i = 0; i < jumps; i++) {
        b.append("-D ").append(parent).append(" -j ").append(chain).append('\n');
      }
      b.append("-F ").append(chain).append('\n').append("-X ").append(chain).append('\n');
    } else {
      // Declaring the chain creates it or flushes it: it is written whole.
      b.append(':').append(chain).append(" - [0:0]\n");
      want.forEach(r -> b.append(r).append('\n'));
      boolean inPlace = jumps == 1 && current.jumpFirst(parent, chain);
      if (!inPlace) {
        // Every jump of Weft's out (each -D takes the first match), then one in first place.
        for (long i = 0; i < jumps; i++) {
          b.append("-D ").append(parent).append(" -j ").append(chain).append('\n');
        }
        b.append("-I ").append(parent).append(" 1 -j ").append(chain).append('\n');
      }
    }
    return Optional.of(b.append("COMMIT\n").toString());
  }

  /**
   * How much other programs use a backend, to tell which one the host uses: their rules (not in Weft's
   * chains, not Weft's jumps) and built-in chains whose policy is not ACCEPT (Docker's FORWARD DROP alone
   * says which backend Docker uses).
   */
  public static int foreignUse(Map<String, Table> tables) {
    int n = 0;
    for (Table t : tables.values()) {
      n += (int) t.policies().values().stream().filter(p -> !p.equals("ACCEPT")).count();
      for (String r : t.rules()) {
        if (!r.startsWith("-A " + FORWARD_CHAIN + " ") && !r.startsWith("-A " + NAT_CHAIN + " ")
            && !r.equals(jump(FORWARD, FORWARD_CHAIN)) && !r.equals(jump(POSTROUTING, NAT_CHAIN))) {
          n++;
        }
      }
    }
    return n;
  }

  /** FORWARD rules before Weft's jump (all of them when there is none) that drop or reject. */
  public static List<String> dropsBeforeJump(Table filter) {
    if (filter == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    String jump = jump(FORWARD, FORWARD_CHAIN);
    for (String r : filter.rulesOf(FORWARD)) {
      if (r.equals(jump)) {
        break;
      }
      if (r.endsWith(" -j DROP") || r.contains(" -j REJECT")) {
        out.add(r);
      }
    }
    return out;
  }

  static String jump(String parent, String chain) {
    return "-A " + parent + " -j " + chain;
  }
}
