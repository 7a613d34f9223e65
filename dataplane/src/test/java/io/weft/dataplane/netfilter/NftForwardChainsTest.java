package io.weft.dataplane.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class NftForwardChainsTest {
  private static final String RULESET = """
      table ip filter {
      	chain FORWARD {
      		type filter hook forward priority filter; policy drop;
      		counter packets 0 bytes 0 jump WEFT-FORWARD
      	}
      	chain WEFT-FORWARD {
      		ip saddr 10.244.0.0/16 counter packets 0 bytes 0 accept
      	}
      }
      table inet firewalld {
      	chain filter_FORWARD {
      		type filter hook forward priority filter + 10; policy drop;
      		ct state established,related accept
      	}
      	chain filter_INPUT {
      		type filter hook input priority filter + 10; policy drop;
      	}
      }
      table inet mine {
      	chain fwd {
      		type filter hook forward priority 0; policy drop;
      		ip saddr 10.244.0.0/16 accept
      		ip daddr 10.244.0.0/16 accept
      	}
      	chain open {
      		type filter hook forward priority 5; policy accept;
      	}
      }
      """;

  @Test
  void reportsOnlyForeignForwardChainsThatDropAndAcceptNoPods() {
    assertEquals(List.of("inet firewalld filter_FORWARD"), NftForwardChains.dropping(RULESET, "10.244.0.0/16"));
    assertEquals(List.of(), NftForwardChains.dropping("", "10.244.0.0/16"));
  }
}
