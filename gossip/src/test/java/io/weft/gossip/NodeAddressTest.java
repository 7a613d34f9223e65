package io.weft.gossip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Optional;
import org.jgroups.Address;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.NameCache;
import org.jgroups.util.UUID;
import org.jgroups.util.Util;
import org.junit.jupiter.api.Test;

class NodeAddressTest {

  @Test
  void theNodeNameTravelsInTheAddressNotInTheNameCache() throws Exception {
    Address a = NodeAddress.generator("node-7").generateAddress();
    NameCache.add(a, "someone-else"); // what a lying discovery answer or probe could have put there
    ByteArrayDataOutputStream out = new ByteArrayDataOutputStream(64);
    Util.writeAddress(a, out);
    Address read = Util.readAddress(new ByteArrayDataInputStream(out.buffer(), 0, out.position()));
    assertEquals(a, read);
    assertEquals(Optional.of("node-7"), NodeAddress.nodeName(read));
  }

  @Test
  void eachAddressIsNewAndAPlainUuidHasNoName() {
    var generator = NodeAddress.generator("node-1");
    assertNotEquals(generator.generateAddress(), generator.generateAddress());
    assertEquals(Optional.empty(), NodeAddress.nodeName(UUID.randomUUID()));
  }
}
