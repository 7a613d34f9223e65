package io.weft.agent.cni.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CniEnvironmentTest {

  static Map<String, String> env(String command) {
    Map<String, String> env = new HashMap<>();
    env.put("CNI_COMMAND", command);
    env.put("CNI_CONTAINERID", "abc123");
    env.put("CNI_NETNS", "/var/run/netns/pod");
    env.put("CNI_IFNAME", "eth0");
    env.put("CNI_PATH", "/opt/cni/bin");
    return env;
  }

  @Test
  void readsAnAdd() {
    Map<String, String> env = env("ADD");
    env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
    CniEnvironment e = CniEnvironment.read(env);
    assertEquals(CniCommand.ADD, e.command());
    assertEquals("abc123", e.containerId());
    assertEquals("/var/run/netns/pod", e.netns());
    assertEquals("eth0", e.ifname());
    assertEquals("web-0", e.args().get("K8S_POD_NAME"));
    assertEquals(3, e.args().size());
  }

  @Test
  void namesEveryMissingVariable() {
    Map<String, String> env = env("ADD");
    env.remove("CNI_NETNS");
    env.put("CNI_IFNAME", "");
    env.remove("CNI_PATH");
    CniError e = assertThrows(CniError.class, () -> CniEnvironment.read(env));
    assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
    assertEquals("required env variables [CNI_NETNS,CNI_IFNAME,CNI_PATH] missing", e.msg());
  }

  @Test
  void delNeedsNoNamespaceButCheckDoes() {
    Map<String, String> del = env("DEL");
    del.remove("CNI_NETNS");
    assertNull(CniEnvironment.read(del).netns());
    Map<String, String> check = env("CHECK");
    check.remove("CNI_NETNS");
    assertEquals(CniError.INVALID_ENVIRONMENT, assertThrows(CniError.class, () -> CniEnvironment.read(check)).code());
  }

  @Test
  void gcStatusAndVersionNeedFewVariables() {
    assertEquals(CniCommand.VERSION, CniEnvironment.read(Map.of("CNI_COMMAND", "VERSION")).command());
    assertEquals(CniCommand.GC, CniEnvironment.read(Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/x")).command());
    assertEquals(CniCommand.STATUS, CniEnvironment.read(Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/x")).command());
    CniError e = assertThrows(CniError.class, () -> CniEnvironment.read(Map.of("CNI_COMMAND", "STATUS")));
    assertTrue(e.msg().contains("CNI_PATH"));
  }

  @Test
  void refusesMissingOrUnknownCommand() {
    assertEquals("required env variables [CNI_COMMAND] missing",
        assertThrows(CniError.class, () -> CniEnvironment.read(Map.of())).msg());
    CniError e = assertThrows(CniError.class, () -> CniEnvironment.read(env("add")));
    assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
    assertEquals("unknown CNI_COMMAND: add", e.msg());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-abc", "_x", ".x", "a b", "a/b", "a;b", "ä"})
  void refusesBadContainerIds(String id) {
    Map<String, String> env = env("ADD");
    env.put("CNI_CONTAINERID", id);
    CniError e = assertThrows(CniError.class, () -> CniEnvironment.read(env));
    assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
    assertTrue(e.msg().contains("CNI_CONTAINERID"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "x.y_z-1", "0abc", "A"})
  void acceptsGoodContainerIds(String id) {
    Map<String, String> env = env("DEL");
    env.put("CNI_CONTAINERID", id);
    assertEquals(id, CniEnvironment.read(env).containerId());
  }

  @ParameterizedTest
  @ValueSource(strings = {"eth0123456789012", ".", "..", "a/b", "a:b", "a b", "a\tb", "a\u00a0b", "a\u0085b"})
  void refusesBadInterfaceNames(String name) {
    Map<String, String> env = env("ADD");
    env.put("CNI_IFNAME", name);
    CniError e = assertThrows(CniError.class, () -> CniEnvironment.read(env));
    assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
    assertEquals("invalid CNI_IFNAME", e.msg());
  }

  @Test
  void acceptsAFifteenCharacterInterfaceName() {
    Map<String, String> env = env("ADD");
    env.put("CNI_IFNAME", "eth012345678901");
    assertEquals("eth012345678901", CniEnvironment.read(env).ifname());
  }

  @Test
  void refusesArgsWithoutEquals() {
    Map<String, String> env = env("ADD");
    env.put("CNI_ARGS", "A=1;oops");
    CniError e = assertThrows(CniError.class, () -> CniEnvironment.read(env));
    assertEquals(CniError.INVALID_ENVIRONMENT, e.code());
    assertTrue(e.details().contains("oops"));
  }

  @Test
  void onlyThePlacesRuntimesKeepPodNamespacesAreAccepted() {
    for (String ok : List.of("/var/run/netns/cni-1234", "/run/netns/netns-abc", "/proc/4242/ns/net")) {
      Map<String, String> env = new java.util.HashMap<>(env("ADD"));
      env.put("CNI_NETNS", ok);
      assertEquals(ok, CniEnvironment.read(env).netns());
    }
    for (String bad : List.of("/tmp/ns", "/var/run/netns/a/b", "/var/run/netns/..", "/proc/self/ns/net",
        "/proc/1/ns/mnt", "relative/netns", "/run/netns/")) {
      Map<String, String> env = new java.util.HashMap<>(env("ADD"));
      env.put("CNI_NETNS", bad);
      assertEquals(CniError.INVALID_ENVIRONMENT, assertThrows(CniError.class, () -> CniEnvironment.read(env)).code(), bad);
    }
    Map<String, String> del = new java.util.HashMap<>(env("DEL"));
    del.put("CNI_NETNS", "/tmp/whatever");
    assertEquals("/tmp/whatever", CniEnvironment.read(del).netns(), "DEL never opens it and must not fail");
  }
}
