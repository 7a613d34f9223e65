package io.weft.dataplane.contract;

import io.weft.core.model.Route;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.memory.InMemoryDataplane;

/** The in-memory twin keeps the contract (with device checks on, as the kernel always has them). */
class InMemoryDataplaneContractTest extends DataplaneContract {
  private final InMemoryDataplane dp = new InMemoryDataplane().requireDevices(true);

  InMemoryDataplaneContractTest() {
    dp.addLink("d0", "veth", 1500);
    dp.links().setUp("d0");
    dp.addresses().add("d0", IpAddresses.parse("192.168.50.1"), 24);
  }

  @Override
  Dataplane dataplane() {
    return dp;
  }

  @Override
  void addForeignRoute(Cidr destination) {
    dp.addForeignRoute(new Route(destination, Route.Type.UNICAST, IpAddresses.parse("192.168.50.20"), "d0", 4,
        Route.TABLE_MAIN));
  }
}
