package io.weft.dataplane.contract;

import io.weft.core.net.Cidr;
import io.weft.core.testing.RequiresRoot;
import io.weft.dataplane.Dataplane;
import io.weft.dataplane.NetlinkDataplane;
import io.weft.dataplane.netlink.TestNetns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The kernel keeps the contract: a namespace made for each test, removed after it. */
@RequiresRoot
class NetlinkDataplaneContractIT extends DataplaneContract {
  private TestNetns ns;
  private NetlinkDataplane dp;

  @BeforeEach
  void namespace() {
    ns = TestNetns.create("contract").withUplink();
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

  @Override
  Dataplane dataplane() {
    return dp;
  }

  @Override
  void addForeignRoute(Cidr destination) {
    ns.ip("route", "add", destination.toString(), "via", "192.168.50.20", "dev", "d0", "proto", "static");
  }
}
