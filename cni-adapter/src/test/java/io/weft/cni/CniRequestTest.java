package io.weft.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CniRequestTest {

  @Test
  void roundTrips() {
    CniRequest r = new CniRequest(CniCommand.GC, "1.1.0", "weft", null, null, null, Map.of("A", "b"), 1500,
        List.of(), List.of("10.244.1.2/24"), List.of(new NetworkConfig.Attachment("c", "eth0")), null);
    assertEquals(r, CniRequest.fromJson(r.toJson()));
    CniRequest add = new CniRequest(CniCommand.ADD, "0.4.0", "weft", "c1", "/var/run/netns/x", "eth0", Map.of(),
        9000, List.of("10.244.1.9/24"), List.of(), null, "0a:58:0a:f4:01:09");
    assertTrue(add.toJson().contains("\"mac\":\"0a:58:0a:f4:01:09\""));
    assertEquals(add, CniRequest.fromJson(add.toJson()));
  }

  @Test
  void refusesWhatTheAgentCannotUse() {
    assertThrows(JsonException.class, () -> CniRequest.fromJson("{\"command\":\"VERSION\",\"cniVersion\":\"1.0.0\",\"mtu\":1500}"));
    assertThrows(JsonException.class, () -> CniRequest.fromJson("{\"command\":\"ADD\",\"cniVersion\":\"1.0.0\"}"));
    assertThrows(JsonException.class, () -> CniRequest.fromJson("{\"command\":\"ADD\",\"mtu\":1500}"));
    assertThrows(JsonException.class, () -> CniRequest.fromJson("{\"command\":\"ADD\",\"cniVersion\":\"1.0.0\",\"mtu\":1500,\"args\":{\"a\":1}}"));
  }

  @Test
  void repliesRoundTrip() {
    assertEquals(ResultShaperTest.RESULT.toJson(), CniReply.read(CniReply.ok(ResultShaperTest.RESULT)));
    CniError e = assertThrows(CniError.class, () -> CniReply.read(CniReply.failed(new CniError(3, "gone", "x"))));
    assertEquals(3, e.code());
    assertEquals("gone", e.msg());
    assertEquals("x", e.details());
    assertEquals(null, CniReply.read(CniReply.ok()));
  }
}
