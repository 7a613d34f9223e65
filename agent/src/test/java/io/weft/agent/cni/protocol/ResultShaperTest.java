package io.weft.agent.cni.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultShaperTest {
  static final CniResult RESULT = new CniResult(
      List.of(new CniResult.Interface("v-net-0", "02:00:00:00:00:01", 0, null),
          new CniResult.Interface("weft01234567", "02:00:00:00:00:02", 1500, null),
          new CniResult.Interface("eth0", "02:00:00:00:00:03", 1500, "/var/run/netns/p")),
      List.of(new CniResult.IpConfig("10.244.1.2/24", "10.244.1.1", 2)),
      List.of(new CniResult.RouteEntry("0.0.0.0/0", "10.244.1.1")));

  @Test
  void shapes040WithIpVersionAndWithoutMtu() {
    assertEquals("{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"v-net-0\",\"mac\":\"02:00:00:00:00:01\"},"
        + "{\"name\":\"weft01234567\",\"mac\":\"02:00:00:00:00:02\"},"
        + "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:03\",\"sandbox\":\"/var/run/netns/p\"}],"
        + "\"ips\":[{\"version\":\"4\",\"address\":\"10.244.1.2/24\",\"gateway\":\"10.244.1.1\",\"interface\":2}],"
        + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\"}],\"dns\":{}}",
        Json.write(ResultShaper.shape(RESULT.toJson(), "0.4.0", null)));
  }

  @Test
  void shapes100WithoutIpVersionOrMtu() {
    assertEquals("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"v-net-0\",\"mac\":\"02:00:00:00:00:01\"},"
        + "{\"name\":\"weft01234567\",\"mac\":\"02:00:00:00:00:02\"},"
        + "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:03\",\"sandbox\":\"/var/run/netns/p\"}],"
        + "\"ips\":[{\"address\":\"10.244.1.2/24\",\"gateway\":\"10.244.1.1\",\"interface\":2}],"
        + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\"}],\"dns\":{}}",
        Json.write(ResultShaper.shape(RESULT.toJson(), "1.0.0", null)));
  }

  @Test
  void shapes110WithInterfaceMtu() {
    assertEquals("{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"v-net-0\",\"mac\":\"02:00:00:00:00:01\"},"
        + "{\"name\":\"weft01234567\",\"mac\":\"02:00:00:00:00:02\",\"mtu\":1500},"
        + "{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:03\",\"mtu\":1500,\"sandbox\":\"/var/run/netns/p\"}],"
        + "\"ips\":[{\"address\":\"10.244.1.2/24\",\"gateway\":\"10.244.1.1\",\"interface\":2}],"
        + "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.1.1\"}],\"dns\":{}}",
        Json.write(ResultShaper.shape(RESULT.toJson(), "1.1.0", null)));
  }

  @Test
  void mergesAPrevResultAndShiftsInterfaceIndexes() {
    Map<String, Object> prev = Json.parseObject("{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"lo\"}],"
        + "\"ips\":[{\"version\":\"6\",\"address\":\"fd00::2/64\",\"interface\":0}],"
        + "\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}");
    Map<String, Object> shaped = ResultShaper.shape(RESULT.toJson(), "0.4.0", prev);
    List<?> ips = (List<?>) shaped.get("ips");
    assertEquals(Map.of("version", "6", "address", "fd00::2/64", "interface", 0L), ips.get(0));
    assertEquals(3L, ((Map<?, ?>) ips.get(1)).get("interface"));
    assertEquals(4, ((List<?>) shaped.get("interfaces")).size());
    assertEquals(Map.of("nameservers", List.of("10.96.0.10")), shaped.get("dns"));
    Map<String, Object> as10 = ResultShaper.shape(RESULT.toJson(), "1.0.0", prev);
    assertEquals(Map.of("address", "fd00::2/64", "interface", 0L), ((List<?>) as10.get("ips")).get(0));
  }

  @Test
  void extractsPrevResultAddresses() {
    assertEquals(List.of("10.244.1.2/24"), ResultShaper.addresses(ResultShaper.shape(RESULT.toJson(), "0.4.0", null)));
  }

  @Test
  void malformedPrevResultIsADecodingFailure() {
    Map<String, Object> prev = Json.parseObject("{\"ips\":{}}");
    assertEquals(CniError.DECODING_FAILURE,
        org.junit.jupiter.api.Assertions.assertThrows(CniError.class,
            () -> ResultShaper.shape(RESULT.toJson(), "1.0.0", prev)).code());
  }
}
