package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelRouteTest {
  // Shape of `ip -j route show` (iproute2 6.x) in a lab node.
  private static final String IP_JSON = """
      [{"dst":"default","gateway":"192.168.1.1","dev":"eth0","flags":[]},
       {"type":"unreachable","dst":"10.244.0.0/16","protocol":"weft","flags":[]},
       {"dst":"10.244.1.0/24","dev":"v-net-0","protocol":"kernel","scope":"link","prefsrc":"10.244.1.1","flags":[]},
       {"dst":"10.244.2.0/24","gateway":"192.168.1.12","dev":"eth0","protocol":"87","flags":[]},
       {"dst":"192.168.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.168.1.11","flags":[]}]
      """;

  private final List<KernelRoute> routes = KernelRoute.parse(IP_JSON, new ObjectMapper());

  @Test
  void readsDestinationGatewayDeviceAndType() {
    assertEquals(5, routes.size());
    KernelRoute peer = routes.get(3);
    assertEquals("10.244.2.0/24", peer.destination());
    assertEquals("192.168.1.12", peer.gateway());
    assertEquals("eth0", peer.device());
    assertEquals("unicast", peer.type());
    assertEquals("unreachable", routes.get(1).type());
    assertNull(routes.get(1).gateway());
  }

  @Test
  void weftProtocolIsRecognisedByNameOrNumber() {
    assertTrue(routes.get(1).isWeft());
    assertTrue(routes.get(3).isWeft());
    assertFalse(routes.get(2).isWeft());
    assertFalse(routes.get(0).isWeft());
  }

  @Test
  void emptyOutputIsNoRoutes() {
    assertTrue(KernelRoute.parse("", new ObjectMapper()).isEmpty());
  }
}
