package io.weft.agent.cni.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CniPluginTest {
  static final String CONFIG = "{\"cniVersion\":\"%s\",\"name\":\"weft\",\"type\":\"weft\",\"apiSocket\":\"/tmp/t.sock\"%s}";

  private final List<CniRequest> sent = new ArrayList<>();
  private CniError failure;

  private final CniPlugin plugin = new CniPlugin(request -> {
    sent.add(request);
    if (failure != null) {
      throw failure;
    }
    return request.command() == CniCommand.ADD ? Optional.of(ResultShaperTest.RESULT) : Optional.empty();
  });

  static String config(String version, String extra) {
    return String.format(CONFIG, version, extra);
  }

  @Test
  void versionIsTheForwardersToAnswer() {
    assertError(4, plugin.run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}"), "0.4.0");
    assertTrue(sent.isEmpty());
  }

  @Test
  void addForwardsAndPrintsTheShapedResult() {
    Map<String, String> env = new java.util.HashMap<>(CniEnvironmentTest.env("ADD"));
    env.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
    CniPlugin.Outcome o = plugin.run(env, config("0.4.0", ",\"mtu\":1400,\"runtimeConfig\":{\"ips\":[\"10.244.1.7/24\"]}"));
    assertEquals(0, o.exitCode(), o.stdout());
    Map<String, Object> out = Json.parseObject(o.stdout());
    assertEquals("0.4.0", out.get("cniVersion"));
    assertEquals("4", ((Map<?, ?>) ((List<?>) out.get("ips")).get(0)).get("version"));
    CniRequest r = sent.get(0);
    assertEquals(CniCommand.ADD, r.command());
    assertEquals("abc123", r.containerId());
    assertEquals("/var/run/netns/pod", r.netns());
    assertEquals("eth0", r.ifname());
    assertEquals(1400, r.mtu());
    assertEquals("web-0", r.args().get("K8S_POD_NAME"));
    assertEquals(List.of("10.244.1.7/24"), r.requestedIps());
    assertNull(r.validAttachments());
  }

  @Test
  void cniArgsIpIsAStaticAddressRequestLikeRuntimeConfigIps() {
    Map<String, String> env = new java.util.HashMap<>(CniEnvironmentTest.env("ADD"));
    env.put("CNI_ARGS", "IgnoreUnknown=1;IP=10.244.1.200");
    assertEquals(0, plugin.run(env, config("1.0.0", "")).exitCode());
    assertEquals(List.of("10.244.1.200"), sent.get(0).requestedIps());
    assertEquals(0, plugin.run(env, config("1.0.0", ",\"runtimeConfig\":{\"ips\":[\"10.244.1.7/24\"]}")).exitCode());
    assertEquals(List.of("10.244.1.7/24", "10.244.1.200"), sent.get(1).requestedIps());
    env.put("CNI_ARGS", "IP=10.244.1.300");
    Map<String, Object> e = assertError(4, plugin.run(env, config("1.0.0", "")), "1.0.0");
    assertTrue(((String) e.get("details")).startsWith("'10.244.1.300' is not an IPv4 address"), e.toString());
    env.put("CNI_COMMAND", "DEL");
    assertEquals(0, plugin.run(env, config("1.0.0", "")).exitCode(), "DEL never fails on it");
  }

  @Test
  void theConfigsDnsGoesIntoTheResult() {
    CniPlugin.Outcome o = plugin.run(CniEnvironmentTest.env("ADD"),
        config("1.0.0", ",\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"search\":[\"svc.cluster.local\"]}"));
    assertEquals(0, o.exitCode(), o.stdout());
    assertEquals(Map.of("nameservers", List.of("10.96.0.10"), "search", List.of("svc.cluster.local")),
        Json.parseObject(o.stdout()).get("dns"));
  }

  @Test
  void delAndCheckPrintNothingOnSuccess() {
    assertEquals(new CniPlugin.Outcome(0, ""), plugin.run(CniEnvironmentTest.env("DEL"), config("1.0.0", "")));
    String prev = ",\"prevResult\":" + Json.write(ResultShaper.shape(ResultShaperTest.RESULT.toJson(), "1.0.0", null));
    assertEquals(new CniPlugin.Outcome(0, ""), plugin.run(CniEnvironmentTest.env("CHECK"), config("1.0.0", prev)));
    assertEquals(List.of("10.244.1.2/24"), sent.get(1).prevIps());
    assertEquals(List.of(), sent.get(0).prevIps(), "a DEL without prevResult names no address");
    assertEquals(new CniPlugin.Outcome(0, ""), plugin.run(CniEnvironmentTest.env("DEL"), config("1.0.0", prev)));
    assertEquals(List.of("10.244.1.2/24"), sent.get(2).prevIps(), "a DEL passes its prevResult's addresses on");
  }

  @Test
  void checkWithoutPrevResultIsRefused() {
    assertError(7, plugin.run(CniEnvironmentTest.env("CHECK"), config("1.0.0", "")), "1.0.0");
  }

  @Test
  void gcForwardsTheValidAttachments() {
    CniPlugin.Outcome o = plugin.run(Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/x"),
        config("1.1.0", ",\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"}]"));
    assertEquals(new CniPlugin.Outcome(0, ""), o);
    assertEquals(List.of(new NetworkConfig.Attachment("a", "eth0")), sent.get(0).validAttachments());
    assertError(7, plugin.run(Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/x"), config("1.1.0", "")), "1.1.0");
  }

  @Test
  void gcAndStatusNeedVersion110() {
    assertError(1, plugin.run(Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/x"),
        config("1.0.0", ",\"cni.dev/valid-attachments\":[]")), "1.0.0");
    assertError(1, plugin.run(Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/x"), config("0.4.0", "")), "0.4.0");
    assertTrue(sent.isEmpty());
  }

  @Test
  void statusReportsTheAgentsNotAvailable() {
    failure = new CniError(50, "weft is not ready", "no subnet");
    CniPlugin.Outcome o = plugin.run(Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/x"), config("1.1.0", ""));
    assertEquals("{\"cniVersion\":\"1.1.0\",\"code\":50,\"msg\":\"weft is not ready\",\"details\":\"no subnet\"}", o.stdout());
    assertEquals(1, o.exitCode());
  }

  @Test
  void unsupportedVersionIsCode1() {
    CniPlugin.Outcome o = plugin.run(CniEnvironmentTest.env("ADD"), config("0.3.1", ""));
    Map<String, Object> e = assertError(1, o, "1.1.0");
    assertEquals("incompatible CNI versions", e.get("msg"));
    assertError(1, plugin.run(CniEnvironmentTest.env("ADD"), "{\"name\":\"weft\"}"), "1.1.0");
  }

  @Test
  void malformedInputsGetTheirCodes() {
    assertError(6, plugin.run(CniEnvironmentTest.env("ADD"), "{not json"), "1.1.0");
    assertError(4, plugin.run(Map.of(), config("1.0.0", "")), "1.0.0");
    Map<String, String> env = new java.util.HashMap<>(CniEnvironmentTest.env("ADD"));
    env.put("CNI_IFNAME", "much-too-long-name0");
    assertError(4, plugin.run(env, config("1.0.0", "")), "1.0.0");
    assertError(7, plugin.run(CniEnvironmentTest.env("ADD"), "{\"cniVersion\":\"1.0.0\"}"), "1.0.0");
    assertTrue(sent.isEmpty());
  }

  @Test
  void aBugBecomesAnInternalErrorNotAStackTrace() {
    CniPlugin broken = new CniPlugin(request -> {
      throw new IllegalStateException("boom");
    });
    Map<String, Object> e = assertError(999, broken.run(CniEnvironmentTest.env("DEL"), config("1.0.0", "")), "1.0.0");
    assertTrue(((String) e.get("details")).contains("boom"), e.toString());
  }

  @Test
  void theMacCapabilityWinsOverArgsAndCniArgsAndIsForwardedNormalised() {
    Map<String, String> env = new java.util.HashMap<>(CniEnvironmentTest.env("ADD"));
    env.put("CNI_ARGS", "IgnoreUnknown=1;MAC=02:00:00:00:00:0c");
    String both = ",\"args\":{\"cni\":{\"mac\":\"02:00:00:00:00:0b\"}}";
    assertEquals(0, plugin.run(env, config("1.0.0", both + ",\"runtimeConfig\":{\"mac\":\"0A-58-0A-F4-01-05\"}")).exitCode());
    assertEquals("0a:58:0a:f4:01:05", sent.get(0).mac());
    assertEquals(0, plugin.run(env, config("1.0.0", both)).exitCode());
    assertEquals("02:00:00:00:00:0b", sent.get(1).mac());
    assertEquals(0, plugin.run(env, config("1.0.0", "")).exitCode());
    assertEquals("02:00:00:00:00:0c", sent.get(2).mac());
    assertEquals(0, plugin.run(CniEnvironmentTest.env("ADD"), config("1.0.0", "")).exitCode());
    assertNull(sent.get(3).mac());
    env.put("CNI_COMMAND", "DEL");
    assertEquals(0, plugin.run(env, config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:0d\"}")).exitCode());
    assertNull(sent.get(4).mac(), "DEL needs no MAC");
  }

  @Test
  void aMacThatNoInterfaceCanHaveIsRefusedBeforeTheAgentIsAsked() {
    Map<String, Object> e = assertError(7, plugin.run(CniEnvironmentTest.env("ADD"),
        config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00\"}")), "1.0.0");
    assertEquals("runtimeConfig.mac '02:00:00:00:00' is not a MAC address (want six hex pairs such as 0a:58:0a:f4:01:05)",
        e.get("details"));
    e = assertError(7, plugin.run(CniEnvironmentTest.env("ADD"),
        config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"01:00:5e:00:00:01\"}")), "1.0.0");
    assertEquals("runtimeConfig.mac '01:00:5e:00:00:01' is a multicast address; an interface needs a unicast one",
        e.get("details"));
    assertError(7, plugin.run(CniEnvironmentTest.env("ADD"),
        config("1.0.0", ",\"args\":{\"cni\":{\"mac\":\"00:00:00:00:00:00\"}}")), "1.0.0");
    assertTrue(sent.isEmpty());
    assertEquals(0, plugin.run(CniEnvironmentTest.env("DEL"),
        config("1.0.0", ",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00\"}")).exitCode(), "DEL never fails on it");
    sent.clear();
    Map<String, String> env = new java.util.HashMap<>(CniEnvironmentTest.env("ADD"));
    env.put("CNI_ARGS", "MAC=zz:00:00:00:00:01");
    e = assertError(4, plugin.run(env, config("1.0.0", "")), "1.0.0");
    assertEquals("CNI_ARGS MAC 'zz:00:00:00:00:01' is not a MAC address (want six hex pairs such as 0a:58:0a:f4:01:05)",
        e.get("details"));
    assertTrue(sent.isEmpty());
  }

  @Test
  void theAgentsErrorsReachTheRuntimeInTheConfigsVersion() {
    failure = new CniError(101, "ADD failed", "no free address left in 10.244.1.0/24");
    Map<String, Object> e = assertError(101, plugin.run(CniEnvironmentTest.env("ADD"), config("1.0.0", "")), "1.0.0");
    assertEquals("no free address left in 10.244.1.0/24", e.get("details"));
  }

  private static Map<String, Object> assertError(int code, CniPlugin.Outcome o, String version) {
    assertEquals(1, o.exitCode(), o.stdout());
    Map<String, Object> e = Json.parseObject(o.stdout());
    assertEquals((long) code, e.get("code"), o.stdout());
    assertEquals(version, e.get("cniVersion"));
    assertTrue(e.get("msg") instanceof String);
    return e;
  }
}
