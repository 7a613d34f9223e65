package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NetworkUnreachableException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetlinkMessageTest {

  /** An NLMSG_ERROR as the kernel writes it: error, echoed request (header only if capped), TLVs. */
  static ByteBuffer error(int errno, byte[] echoedRequest, boolean capped, String extack, int seq) {
    ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
    int flags = (capped ? Nl.NLM_F_CAPPED : 0) | (extack != null ? Nl.NLM_F_ACK_TLVS : 0);
    b.putInt(0).putShort((short) Nl.NLMSG_ERROR).putShort((short) flags).putInt(seq).putInt(4242);
    b.putInt(-errno);
    b.put(echoedRequest, 0, capped ? 16 : echoedRequest.length);
    while (b.position() % 4 != 0) {
      b.put((byte) 0);
    }
    if (extack != null) {
      byte[] s = (extack + "\0").getBytes(StandardCharsets.UTF_8);
      b.putShort((short) (4 + s.length)).putShort((short) Nl.NLMSGERR_ATTR_MSG).put(s);
      while (b.position() % 4 != 0) {
        b.put((byte) 0);
      }
    }
    b.putInt(0, b.position());
    b.limit(b.position());
    return b;
  }

  static byte[] request(int seq) {
    return new MessageBuilder(Nl.RTM_NEWROUTE, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK)
        .rtmsg(Nl.AF_INET, 24, 254, 87, 0, 1)
        .u32(Nl.RTA_TABLE, 254)
        .build(seq);
  }

  @Test
  void extendedAckTextIsFoundAfterACappedEcho() {
    ByteBuffer b = error(101, request(5), true, "Nexthop has invalid gateway", 5);
    NetlinkMessage m = NetlinkMessage.parseAll(b, b.limit()).get(0);
    assertEquals(Nl.NLMSG_ERROR, m.type());
    assertEquals(-101, m.errorCode());
    assertEquals(5, m.errorRequestSeq());
    assertEquals("Nexthop has invalid gateway", m.extAckMessage());
    NetlinkException e = NetlinkException.of(-m.errorCode(), "add route 10.244.2.0/24 via 192.168.1.12", m.extAckMessage());
    assertInstanceOf(NetworkUnreachableException.class, e);
    assertEquals("could not add route 10.244.2.0/24 via 192.168.1.12: network unreachable (Nexthop has invalid gateway)",
        e.getMessage());
  }

  @Test
  void extendedAckTextIsFoundAfterAFullEcho() {
    ByteBuffer b = error(17, request(6), false, "File exists", 6);
    assertEquals("File exists", NetlinkMessage.parseAll(b, b.limit()).get(0).extAckMessage());
  }

  @Test
  void plainAckHasNoText() {
    ByteBuffer b = error(0, request(7), true, null, 7);
    NetlinkMessage m = NetlinkMessage.parseAll(b, b.limit()).get(0);
    assertEquals(0, m.errorCode());
    assertNull(m.extAckMessage());
  }

  @Test
  void aDatagramSplitsIntoAlignedMessages() {
    byte[] a = new MessageBuilder(Nl.RTM_NEWLINK, Nl.NLM_F_MULTI).ifinfomsg(0, 1, 0, 0).string(Nl.IFLA_IFNAME, "lo").build(3);
    byte[] done = new MessageBuilder(Nl.NLMSG_DONE, Nl.NLM_F_MULTI).build(3);
    ByteBuffer d = ByteBuffer.allocate(a.length + done.length + 4).order(ByteOrder.nativeOrder());
    d.put(a);
    d.put(done);
    List<NetlinkMessage> all = NetlinkMessage.parseAll(d, a.length + done.length);
    assertEquals(2, all.size());
    assertEquals(Nl.RTM_NEWLINK, all.get(0).type());
    assertEquals(Nl.NLM_F_MULTI, all.get(0).flags());
    assertEquals(Nl.NLMSG_DONE, all.get(1).type());
    assertEquals("lo", Attributes.parse(all.get(0).payload(), 16, all.get(0).payload().limit() - 16).string(Nl.IFLA_IFNAME));
  }

  @Test
  void aTruncatedMessageIsRefused() {
    byte[] a = request(1);
    ByteBuffer d = ByteBuffer.wrap(a).order(ByteOrder.nativeOrder());
    assertThrows(IllegalStateException.class, () -> NetlinkMessage.parseAll(d, a.length - 4));
  }

  @Test
  void aBadAttributeLengthIsRefused() {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
    b.putShort((short) 40).putShort((short) 1).putInt(0);
    assertThrows(IllegalStateException.class, () -> Attributes.parse(b, 0, 8));
  }
}
