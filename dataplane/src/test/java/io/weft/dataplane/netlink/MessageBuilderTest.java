package io.weft.dataplane.netlink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Byte-level checks of the encoder; the expected bytes are little-endian, as on x86-64 and arm64. */
class MessageBuilderTest {

  @BeforeAll
  static void littleEndian() {
    assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "expected bytes are written for little-endian hosts");
  }

  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  @Test
  void headerCarriesLengthTypeFlagsAndSequence() {
    byte[] m = new MessageBuilder(Nl.RTM_GETLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP)
        .ifinfomsg(Nl.AF_UNSPEC, 0, 0, 0)
        .build(0x01020304);
    assertArrayEquals(hex("20000000 1200 0103 04030201 00000000" + "00 00 0000 00000000 00000000 00000000"), m);
  }

  @Test
  void attributesArePaddedToFourBytesWithZeros() {
    byte[] m = new MessageBuilder(Nl.RTM_NEWLINK, Nl.NLM_F_REQUEST)
        .string(Nl.IFLA_IFNAME, "eth0") // 4 + 5 = 9 bytes, padded to 12
        .u8(Nl.IFLA_BRPORT_MODE, 1) // 4 + 1 = 5 bytes, padded to 8
        .u32(Nl.IFLA_MTU, 1500)
        .build(1);
    assertEquals(16 + 12 + 8 + 8, m.length);
    assertArrayEquals(hex("0900 0300 65746830 00 000000"), java.util.Arrays.copyOfRange(m, 16, 28));
    assertArrayEquals(hex("0500 0400 01 000000"), java.util.Arrays.copyOfRange(m, 28, 36));
    assertArrayEquals(hex("0800 0400 dc050000"), java.util.Arrays.copyOfRange(m, 36, 44));
    assertEquals(44, ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
  }

  @Test
  void nestedAttributesCarryTheirTotalLengthAndTheNestedFlag() {
    MessageBuilder b = new MessageBuilder(Nl.RTM_NEWLINK, Nl.NLM_F_REQUEST);
    int n = b.beginNested(Nl.IFLA_LINKINFO);
    b.string(Nl.IFLA_INFO_KIND, "bridge"); // 4 + 7 = 11 -> 12
    b.endNested(n);
    byte[] m = b.build(1);
    // outer: len 4 + 12 = 16, type 18 | NLA_F_NESTED (0x8000)
    assertArrayEquals(hex("1000 1280" + "0b00 0100 627269646765 00 00"), java.util.Arrays.copyOfRange(m, 16, 32));
  }

  @Test
  void messageLengthIsTheUnpaddedTotalOfAlignedParts() {
    byte[] m = new MessageBuilder(Nl.RTM_NEWADDR, Nl.NLM_F_REQUEST)
        .ifaddrmsg(Nl.AF_INET, 24, 0, 7)
        .attribute(Nl.IFA_LOCAL, new byte[] {10, 0, 0, 1})
        .build(9);
    assertEquals(16 + 8 + 8, m.length);
    assertArrayEquals(hex("02 18 00 00 07000000"), java.util.Arrays.copyOfRange(m, 16, 24));
  }
}
