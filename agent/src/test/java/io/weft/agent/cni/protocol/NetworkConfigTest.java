package io.weft.agent.cni.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetworkConfigTest {

  @Test
  void defaultsAndToleratesUnknownFields() {
    NetworkConfig c = NetworkConfig.parse(
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft\",\"something\":{\"x\":[1]},\"ipam\":{}}");
    assertEquals("1.0.0", c.cniVersion());
    assertEquals("weft", c.name());
    assertEquals(NetworkConfig.DEFAULT_API_SOCKET, c.apiSocket());
    assertEquals(NetworkConfig.NODE_MTU, c.mtu(), "no mtu: the agent picks the node's pod MTU");
    assertNull(c.prevResult());
    assertEquals(List.of(), c.requestedIps());
    assertNull(c.validAttachments());
  }

  @Test
  void readsWeftFieldsRuntimeConfigAndAttachments() {
    NetworkConfig c = NetworkConfig.parse("{\"cniVersion\":\"1.1.0\",\"name\":\"weft\",\"type\":\"weft\","
        + "\"apiSocket\":\"/tmp/w.sock\",\"mtu\":1450,\"runtimeConfig\":{\"ips\":[\"10.244.1.9/24\"]},"
        + "\"prevResult\":{\"ips\":[]},"
        + "\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}");
    assertEquals("/tmp/w.sock", c.apiSocket());
    assertEquals(1450, c.mtu());
    assertEquals(List.of("10.244.1.9/24"), c.requestedIps());
    assertEquals(List.of(new NetworkConfig.Attachment("c1", "eth0")), c.validAttachments());
    assertEquals(List.of(), c.prevResult().get("ips"));
  }

  @Test
  void missingVersionIsEmptyForTheVersionCheckToRefuse() {
    assertEquals("", NetworkConfig.parse("{\"name\":\"weft\"}").cniVersion());
  }

  @Test
  void badJsonIsADecodingFailure() {
    CniError e = assertThrows(CniError.class, () -> NetworkConfig.parse("{\"name\":"));
    assertEquals(CniError.DECODING_FAILURE, e.code());
    assertEquals(CniError.DECODING_FAILURE, assertThrows(CniError.class, () -> NetworkConfig.parse("")).code());
    assertEquals(CniError.DECODING_FAILURE, assertThrows(CniError.class, () -> NetworkConfig.parse("[]")).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"cniVersion\":\"1.0.0\"}",
      "{\"name\":\"\"}",
      "{\"name\":\"-bad\"}",
      "{\"name\":\"a b\"}",
      "{\"name\":5}",
      "{\"name\":\"w\",\"mtu\":\"1500\"}",
      "{\"name\":\"w\",\"mtu\":67}",
      "{\"name\":\"w\",\"mtu\":1500.5}",
      "{\"name\":\"w\",\"apiSocket\":\"relative.sock\"}",
      "{\"name\":\"w\",\"prevResult\":[]}",
      "{\"name\":\"w\",\"runtimeConfig\":{\"ips\":[1]}}",
      "{\"name\":\"w\",\"cni.dev/valid-attachments\":[{\"containerID\":\"x\"}]}",
      "{\"name\":\"w\",\"cni.dev/valid-attachments\":{}}"})
  void invalidFieldsAreInvalidConfig(String text) {
    assertEquals(CniError.INVALID_NETWORK_CONFIG, assertThrows(CniError.class, () -> NetworkConfig.parse(text)).code());
  }
}
