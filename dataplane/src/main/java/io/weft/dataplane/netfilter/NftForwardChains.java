package io.weft.dataplane.netfilter;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Native nftables chains that drop forwarded traffic by default, read from {@code nft list ruleset}.
 * Weft cannot override them (an accept in one base chain does not stop the packet meeting another's
 * drop at the same hook) and does not write into tables it does not own, so it reports them with the fix.
 * iptables-nft's own {@code ip filter FORWARD} chain is not one of them: Weft's jump handles it. Pure.
 */
public final class NftForwardChains {
  private static final Pattern TABLE = Pattern.compile("^table (\\S+) (\\S+) \\{");
  private static final Pattern CHAIN = Pattern.compile("^chain (\\S+) \\{");

  private NftForwardChains() {}

  /**
   * Base chains at the forward hook with policy drop that accept nothing for {@code clusterCidr}, as
   * {@code "inet firewalld filter_FORWARD"} (family, table, chain).
   */
  public static List<String> dropping(String ruleset, String clusterCidr) {
    List<String> out = new ArrayList<>();
    String family = null;
    String table = null;
    String chain = null;
    boolean forwardDrop = false;
    boolean acceptsPods = false;
    for (String raw : ruleset.split("\n")) {
      String line = raw.strip();
      Matcher t = TABLE.matcher(line);
      Matcher c = CHAIN.matcher(line);
      if (t.find()) {
        family = t.group(1);
        table = t.group(2);
      } else if (c.find()) {
        chain = c.group(1);
        forwardDrop = false;
        acceptsPods = false;
      } else if (chain != null && line.startsWith("type ") && line.contains("hook forward")) {
        forwardDrop = line.contains("policy drop");
      } else if (chain != null && line.contains(clusterCidr) && line.contains("accept")) {
        acceptsPods = true;
      } else if (chain != null && line.equals("}")) {
        boolean iptablesNft = "ip".equals(family) && "filter".equals(table) && "FORWARD".equals(chain);
        if (forwardDrop && !acceptsPods && !iptablesNft) {
          out.add(family + " " + table + " " + chain);
        }
        chain = null;
      }
    }
    return out;
  }
}
