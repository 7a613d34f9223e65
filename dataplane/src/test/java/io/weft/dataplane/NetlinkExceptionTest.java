package io.weft.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

class NetlinkExceptionTest {

  @Test
  void errnoPicksTheTypeACallerActsOn() {
    assertInstanceOf(AlreadyExistsException.class, NetlinkException.of(17, "x", null));
    assertInstanceOf(NotFoundException.class, NetlinkException.of(2, "x", null));
    assertInstanceOf(NotFoundException.class, NetlinkException.of(3, "x", null));
    assertInstanceOf(NoSuchDeviceException.class, NetlinkException.of(19, "x", null));
    assertInstanceOf(NetworkUnreachableException.class, NetlinkException.of(101, "x", null));
    assertInstanceOf(PermissionDeniedException.class, NetlinkException.of(1, "x", null));
    assertInstanceOf(PermissionDeniedException.class, NetlinkException.of(13, "x", null));
    assertEquals(NetlinkException.class, NetlinkException.of(22, "x", null).getClass());
  }

  @Test
  void messageNamesTheStepTheErrorAndTheKernelsWords() {
    NetlinkException e = NetlinkException.of(17, "create bridge v-net-0", null);
    assertEquals("could not create bridge v-net-0: file exists", e.getMessage());
    assertEquals(17, e.errno());
    assertEquals("create bridge v-net-0", e.operation());
    assertEquals("could not x: errno 200 (odd)", NetlinkException.of(200, "x", "odd").getMessage());
  }
}
