package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Parses every manifest under docker/ and checks what a working, least-privilege install needs. */
class ManifestTest {
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new JsonMapper();
  private static final Set<String> NAMESPACED = Set.of(
      "ServiceAccount", "Service", "Secret", "ConfigMap", "DaemonSet", "Role", "RoleBinding");
  private static final Set<String> HOST_PATHS = Set.of(
      "/etc/cni/net.d", "/opt/cni/bin", "/opt", "/var/lib/weft", "/run/weft", "/run/netns",
      "/etc/iproute2/rt_protos.d", "/run/xtables.lock");

  static Stream<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.list(Repo.docker())) {
      List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertTrue(yaml.contains(Repo.docker().resolve("weft.yaml")), yaml::toString);
      return yaml.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void everyObjectIsWellFormedAndEveryPodSpecIsConsistent(Path manifest) {
    List<JsonNode> objects = load(manifest);
    Set<String> namespaces = new HashSet<>();
    objects.stream().filter(o -> kind(o).equals("Namespace")).forEach(o -> namespaces.add(name(o)));
    for (JsonNode object : objects) {
      String what = manifest.getFileName() + ": " + kind(object) + " " + name(object);
      assertFalse(object.path("apiVersion").asText().isEmpty(), what + " has no apiVersion");
      assertFalse(name(object).isEmpty(), what + " has no name");
      if (NAMESPACED.contains(kind(object))) {
        assertTrue(namespaces.contains(object.path("metadata").path("namespace").asText()),
            what + " is in a namespace this manifest does not create");
      }
      if (kind(object).equals("DaemonSet")) {
        checkPodSpec(what, object);
      }
    }
  }

  @Test
  void createsTheNamespaceAccountServiceSecretConfigAndDaemonSetAndNoRbac() {
    List<JsonNode> objects = weft();
    List<String> kinds = objects.stream().map(ManifestTest::kind).toList();

    assertTrue(kinds.containsAll(List.of("Namespace", "ServiceAccount", "Service", "Secret", "DaemonSet")), kinds::toString);
    // Nothing in the agent reads the Kubernetes API: no permissions, and no token to steal.
    assertFalse(kinds.stream().anyMatch(k -> k.contains("Role")), kinds::toString);
    JsonNode account = only(objects, "ServiceAccount");
    assertFalse(account.path("automountServiceAccountToken").asBoolean(true));
    assertEquals("privileged",
        only(objects, "Namespace").path("metadata").path("labels").path("pod-security.kubernetes.io/enforce").asText());
    JsonNode pod = podSpec(only(objects, "DaemonSet"));
    assertEquals(name(account), pod.path("serviceAccountName").asText());
    assertFalse(pod.path("automountServiceAccountToken").asBoolean(true));
  }

  @Test
  void theDaemonSetRunsOnEveryNodeInTheHostNetworkAndUpdatesOneNodeAtATime() {
    JsonNode daemonSet = only(weft(), "DaemonSet");
    JsonNode pod = podSpec(daemonSet);

    assertAll(
        () -> assertTrue(pod.path("hostNetwork").asBoolean()),
        () -> assertEquals("ClusterFirstWithHostNet", pod.path("dnsPolicy").asText()),
        () -> assertEquals("system-node-critical", pod.path("priorityClassName").asText()),
        () -> assertTrue(toleratesEverything(pod), "a toleration with operator Exists and no key or effect"),
        () -> assertTrue(pod.path("affinity").path("nodeAffinity").path("requiredDuringSchedulingIgnoredDuringExecution")
                .path("nodeSelectorTerms").get(0).path("matchExpressions").toString()
                .contains("{\"key\":\"weft-agent\",\"operator\":\"NotIn\",\"values\":[\"systemd\"]}"),
            "nodes labelled weft-agent=systemd run their own agent"),
        () -> assertEquals("RollingUpdate", daemonSet.path("spec").path("updateStrategy").path("type").asText()),
        () -> assertEquals(1, daemonSet.path("spec").path("updateStrategy").path("rollingUpdate")
            .path("maxUnavailable").asInt()));
  }

  @Test
  void theHeadlessServiceFindsEveryAgentReadyOrNotAndTheAgentAsksForIt() {
    List<JsonNode> objects = weft();
    JsonNode service = only(objects, "Service");
    JsonNode daemonSet = only(objects, "DaemonSet");

    assertEquals("None", service.path("spec").path("clusterIP").asText());
    assertTrue(service.path("spec").path("publishNotReadyAddresses").asBoolean());
    assertEquals(daemonSet.path("spec").path("template").path("metadata").path("labels"),
        service.path("spec").path("selector"));
    assertEquals(6783, service.path("spec").path("ports").get(0).path("port").asInt());
    assertEquals("TCP", service.path("spec").path("ports").get(0).path("protocol").asText());
    String dnsName = name(service) + "." + service.path("metadata").path("namespace").asText() + ".svc";
    assertEquals(dnsName, env(agent(daemonSet)).get("WEFT_PEER_DNS").path("value").asText());
  }

  @Test
  void theAgentGetsItsNodeFromTheDownwardApiAndTheMeshSecretFromTheSecret() {
    List<JsonNode> objects = weft();
    JsonNode daemonSet = only(objects, "DaemonSet");
    Map<String, JsonNode> env = env(agent(daemonSet));

    assertEquals("spec.nodeName", env.get("WEFT_NODE_NAME").path("valueFrom").path("fieldRef").path("fieldPath").asText());
    assertEquals("status.hostIP", env.get("WEFT_NODE_IP").path("valueFrom").path("fieldRef").path("fieldPath").asText());

    JsonNode secret = only(objects, "Secret");
    String key = secret.path("stringData").fieldNames().next();
    String secretVolume = volumeNamed(podSpec(daemonSet), v -> v.path("secret").path("secretName").asText().equals(name(secret)));
    String mountPath = mountOf(agent(daemonSet), secretVolume).path("mountPath").asText();
    assertEquals(mountPath + "/" + key, env.get("WEFT_SECRET_FILE").path("value").asText());
  }

  @Test
  void theSecretPlaceholderIsTheOneTheEntrypointRefusesAndAppearsOnceOutsideComments() {
    JsonNode secret = only(weft(), "Secret");
    String value = secret.path("stringData").elements().next().asText();
    long lines = Repo.read(Repo.docker().resolve("weft.yaml")).lines()
        .filter(line -> !line.strip().startsWith("#") && line.contains(value)).count();

    assertEquals(AgentEntrypointTest.PLACEHOLDER, value);
    assertTrue(Repo.read(Repo.docker().resolve("agent-entrypoint.sh")).contains("placeholder=" + value));
    assertEquals(1, lines, "the install instructions replace it with one sed");
  }

  @Test
  void theAgentHasOnlyNetAdminAndSysAdminProbesOnLoopbackAndResourceRequests() {
    JsonNode agent = agent(only(weft(), "DaemonSet"));
    JsonNode security = agent.path("securityContext");

    assertEquals(Set.of("NET_ADMIN", "NET_RAW", "SYS_ADMIN"), texts(security.path("capabilities").path("add")));
    assertEquals(Set.of("ALL"), texts(security.path("capabilities").path("drop")));
    assertFalse(security.path("privileged").asBoolean(false));
    assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true));
    for (String[] probe : new String[][] {{"livenessProbe", "/healthz"}, {"readinessProbe", "/readyz"}}) {
      JsonNode http = agent.path(probe[0]).path("httpGet");
      assertEquals(probe[1], http.path("path").asText(), probe[0]);
      assertEquals(6782, http.path("port").asInt(), probe[0]);
      assertEquals("127.0.0.1", http.path("host").asText(), probe[0] + ": metrics listen on loopback only");
    }
    assertFalse(agent.path("resources").path("requests").path("cpu").asText().isEmpty());
    assertFalse(agent.path("resources").path("requests").path("memory").asText().isEmpty());
  }

  @Test
  void theAgentMountsStateSocketAndPodNamespacesFromTheHost() {
    JsonNode daemonSet = only(weft(), "DaemonSet");
    JsonNode pod = podSpec(daemonSet);
    JsonNode agent = agent(daemonSet);

    assertEquals("/var/lib/weft", hostPathMountedAt(pod, agent, "/var/lib/weft"));
    assertEquals("/run/weft", hostPathMountedAt(pod, agent, "/run/weft"));
    assertEquals("/run/netns", hostPathMountedAt(pod, agent, "/run/netns"));
    assertEquals("/run/xtables.lock", hostPathMountedAt(pod, agent, "/run/xtables.lock"),
        "iptables-restore shares the host's lock with kube-proxy and Docker");
    // Namespaces the runtime creates after the agent started must appear inside its container.
    assertEquals("HostToContainer", mountAt(agent, "/run/netns").path("mountPropagation").asText());
    // The agent only opens them (docs/security.md says so): it cannot create or replace one.
    assertTrue(mountAt(agent, "/run/netns").path("readOnly").asBoolean(false), "/run/netns is mounted read-only");
    assertTrue(mountAt(agent, "/etc/weft/secret").path("readOnly").asBoolean(false));
  }

  @Test
  void theMeshSecretVolumeIsOwnerOnlyAsTheAgentRequires() {
    JsonNode pod = podSpec(only(weft(), "DaemonSet"));
    JsonNode secret = stream(pod.path("volumes")).filter(v -> v.has("secret")).findFirst().orElseThrow();
    // The agent refuses a secret file readable by group or others.
    assertEquals(0400, secret.path("secret").path("defaultMode").asInt());
  }

  @Test
  void anInitContainerInstallsTheCniFilesFromTheConfigMapIntoTheHostPaths() throws IOException {
    List<JsonNode> objects = weft();
    JsonNode pod = podSpec(only(objects, "DaemonSet"));
    JsonNode install = container(pod.path("initContainers"), "install-cni");

    assertTrue(install.path("command").toString().contains("/usr/lib/weft/install-cni.sh"), install::toString);
    assertEquals("/host", install.path("command").get(install.path("command").size() - 1).asText());
    // What install-cni.sh writes under its root /host, and the old payload directory it removes on upgrade,
    // are the host's own paths.
    for (String path : List.of("/etc/cni/net.d", "/opt/cni/bin", "/opt/weft")) {
      assertEquals(path, hostPathBehind(pod, install, "/host" + path), path);
    }
    assertEquals(Set.of("ALL"), texts(install.path("securityContext").path("capabilities").path("drop")));

    // WEFT_CNI_CONFLIST names a key of the ConfigMap mounted into the init container.
    String conflistPath = env(install).get("WEFT_CNI_CONFLIST").path("value").asText();
    Path asPath = Path.of(conflistPath);
    String volume = mountAt(install, asPath.getParent().toString()).path("name").asText();
    String configMapName = volumeByName(pod, volume).path("configMap").path("name").asText();
    JsonNode configMap = objects.stream().filter(o -> kind(o).equals("ConfigMap") && name(o).equals(configMapName))
        .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + configMapName));
    JsonNode conflist = JSON.readTree(configMap.path("data").path(asPath.getFileName().toString()).asText());

    assertEquals("10-weft.conflist", asPath.getFileName().toString());
    assertEquals("weft", conflist.path("name").asText());
    assertEquals("weft", conflist.path("plugins").get(0).path("type").asText());
    assertEquals("/run/weft/weft.sock", conflist.path("plugins").get(0).path("apiSocket").asText());
    assertEquals(JSON.readTree(Repo.docker().resolve("10-weft.conflist").toFile()), conflist,
        "the image's default config and the manifest's are the same");
  }

  @Test
  void onlyTheForwardingSwitchIsPrivilegedAndItOnlyWritesIpForward() {
    JsonNode pod = podSpec(only(weft(), "DaemonSet"));
    List<JsonNode> privileged = new ArrayList<>();
    Stream.concat(stream(pod.path("initContainers")), stream(pod.path("containers")))
        .filter(c -> c.path("securityContext").path("privileged").asBoolean(false)).forEach(privileged::add);

    assertEquals(1, privileged.size(), privileged::toString);
    assertEquals("[\"/bin/sh\",\"-c\",\"echo 1 > /proc/sys/net/ipv4/ip_forward\"]",
        privileged.get(0).path("command").toString());
    assertTrue(privileged.get(0).path("volumeMounts").isMissingNode(), "no host files");
  }

  @Test
  void theAgentConfigMapHoldsOnlyWeftEnvironmentVariables() {
    List<JsonNode> objects = weft();
    JsonNode agent = agent(only(objects, "DaemonSet"));
    String configMapName = agent.path("envFrom").get(0).path("configMapRef").path("name").asText();
    JsonNode configMap = objects.stream().filter(o -> kind(o).equals("ConfigMap") && name(o).equals(configMapName))
        .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + configMapName));

    configMap.path("data").fieldNames().forEachRemaining(key -> assertTrue(key.startsWith("WEFT_"), key));
    assertEquals("10.244.0.0/16", configMap.path("data").path("WEFT_CLUSTER_CIDR").asText());
  }

  @Test
  void theDocumentedSeedPeerEditYieldsAValidManifestWithThatSeed() throws IOException {
    String original = Repo.read(Repo.docker().resolve("weft.yaml"));
    // The sed of docs/operations.md and of the manifest's header, done in Java.
    String edited = original.replaceAll("(?m)^  # WEFT_PEER: .*$", "  WEFT_PEER: \"192.168.1.10\"");

    assertFalse(edited.equals(original), "the commented WEFT_PEER line is where the sed expects it");
    List<JsonNode> objects = new ArrayList<>();
    YAML.readerFor(JsonNode.class).<JsonNode>readValues(edited).forEachRemaining(objects::add);
    JsonNode config = objects.stream().filter(o -> name(o).equals("weft-config")).findFirst().orElseThrow();
    assertEquals("192.168.1.10", config.path("data").path("WEFT_PEER").asText());
    assertEquals(original.lines().count(), edited.lines().count());
  }

  @Test
  void theCleanupRunsTheAgentsCleanupThenRemovesTheInstalledFiles() {
    JsonNode pod = podSpec(only(load(Repo.docker().resolve("weft-cleanup.yaml")), "DaemonSet"));
    JsonNode cleanup = container(pod.path("initContainers"), "cleanup");
    JsonNode uninstall = container(pod.path("initContainers"), "uninstall-cni");

    assertTrue(pod.path("hostNetwork").asBoolean());
    assertTrue(toleratesEverything(pod));
    assertEquals(podSpec(only(weft(), "DaemonSet")).path("affinity"), pod.path("affinity"), "the nodes weft.yaml runs on");
    assertEquals("[\"cleanup\"]", cleanup.path("args").toString());
    assertEquals(Set.of("NET_ADMIN", "NET_RAW"), texts(cleanup.path("securityContext").path("capabilities").path("add")));
    assertEquals("/etc/iproute2/rt_protos.d", hostPathMountedAt(pod, cleanup, "/etc/iproute2/rt_protos.d"),
        "cleanup removes the agent's weft.conf there");
    assertEquals("[\"/usr/lib/weft/install-cni.sh\",\"--uninstall\",\"/\"]", uninstall.path("command").toString());
    for (String path : List.of("/etc/cni/net.d", "/opt/cni/bin", "/opt/weft")) {
      assertEquals(path, hostPathBehind(pod, uninstall, path), "uninstall-cni: " + path);
    }
    for (String path : List.of("/etc/cni/net.d", "/opt/cni/bin")) {
      assertEquals(path, hostPathBehind(pod, cleanup, path), "cleanup: " + path);
    }
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void noHostPathVolumeIsTheOldPluginPayloadDirectory(Path manifest) {
    // The plugin is one static file now. A hostPath volume of /opt/weft would be created on every node
    // (DirectoryOrCreate, or by the runtime when the type is empty) and, as a mount point, never removed.
    for (JsonNode object : load(manifest)) {
      for (JsonNode volume : podSpec(object).path("volumes")) {
        assertFalse(volume.path("hostPath").path("path").asText().startsWith("/opt/weft"),
            manifest.getFileName() + ": " + volume);
      }
    }
  }

  // --- checks shared by every DaemonSet

  private static void checkPodSpec(String what, JsonNode daemonSet) {
    JsonNode spec = daemonSet.path("spec");
    assertEquals("RuntimeDefault", podSpec(daemonSet).path("securityContext").path("seccompProfile").path("type").asText(),
        what + ": every container under the runtime's default seccomp profile");
    assertEquals(spec.path("selector").path("matchLabels"), spec.path("template").path("metadata").path("labels"),
        what + ": selector and pod labels differ");
    JsonNode pod = podSpec(daemonSet);
    Set<String> volumes = new HashSet<>();
    for (JsonNode volume : pod.path("volumes")) {
      assertTrue(volumes.add(volume.path("name").asText()), what + ": volume " + volume + " defined twice");
      if (volume.has("hostPath")) {
        assertTrue(HOST_PATHS.contains(volume.path("hostPath").path("path").asText()),
            what + ": unexpected host path " + volume);
      }
    }
    Set<String> images = new HashSet<>();
    Stream.concat(stream(pod.path("initContainers")), stream(pod.path("containers"))).forEach(container -> {
      images.add(container.path("image").asText());
      for (JsonNode mount : container.path("volumeMounts")) {
        assertTrue(volumes.contains(mount.path("name").asText()),
            what + ": container " + container.path("name") + " mounts undefined volume " + mount);
      }
    });
    assertEquals(1, images.size(), what + ": every container runs the one Weft image, " + images);
  }

  // --- navigation

  private static List<JsonNode> weft() {
    return load(Repo.docker().resolve("weft.yaml"));
  }

  private static List<JsonNode> load(Path manifest) {
    try {
      List<JsonNode> objects = new ArrayList<>();
      YAML.readerFor(JsonNode.class).<JsonNode>readValues(manifest.toFile()).forEachRemaining(node -> {
        if (node != null && !node.isNull() && !node.isMissingNode()) {
          objects.add(node);
        }
      });
      assertFalse(objects.isEmpty(), manifest + " holds no object");
      return objects;
    } catch (IOException e) {
      throw new AssertionError(manifest + " is not valid YAML: " + e.getMessage(), e);
    }
  }

  private static String kind(JsonNode object) {
    return object.path("kind").asText();
  }

  private static String name(JsonNode object) {
    return object.path("metadata").path("name").asText();
  }

  private static JsonNode only(List<JsonNode> objects, String kind) {
    List<JsonNode> matching = objects.stream().filter(o -> kind(o).equals(kind)).toList();
    assertEquals(1, matching.size(), "exactly one " + kind);
    return matching.get(0);
  }

  private static JsonNode podSpec(JsonNode daemonSet) {
    return daemonSet.path("spec").path("template").path("spec");
  }

  private static JsonNode agent(JsonNode daemonSet) {
    return container(podSpec(daemonSet).path("containers"), "weft");
  }

  private static JsonNode container(JsonNode containers, String name) {
    return stream(containers).filter(c -> c.path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name + " in " + containers));
  }

  private static Map<String, JsonNode> env(JsonNode container) {
    Map<String, JsonNode> env = new HashMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
    return env;
  }

  private static JsonNode mountAt(JsonNode container, String mountPath) {
    return stream(container.path("volumeMounts")).filter(m -> m.path("mountPath").asText().equals(mountPath))
        .findFirst().orElseThrow(() -> new AssertionError(container.path("name") + " mounts nothing at " + mountPath));
  }

  private static JsonNode mountOf(JsonNode container, String volume) {
    return stream(container.path("volumeMounts")).filter(m -> m.path("name").asText().equals(volume))
        .findFirst().orElseThrow(() -> new AssertionError(container.path("name") + " does not mount " + volume));
  }

  private static JsonNode volumeByName(JsonNode pod, String name) {
    return stream(pod.path("volumes")).filter(v -> v.path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static String volumeNamed(JsonNode pod, Predicate<JsonNode> test) {
    return stream(pod.path("volumes")).filter(test).findFirst()
        .orElseThrow(() -> new AssertionError("no such volume in " + pod.path("volumes"))).path("name").asText();
  }

  /**
   * The host path that {@code path} in {@code container} is: through the mount with the longest mount path
   * that holds it, which must be a host path.
   */
  private static String hostPathBehind(JsonNode pod, JsonNode container, String path) {
    JsonNode mount = stream(container.path("volumeMounts"))
        .filter(m -> path.equals(m.path("mountPath").asText()) || path.startsWith(m.path("mountPath").asText() + "/"))
        .max(Comparator.comparingInt(m -> m.path("mountPath").asText().length()))
        .orElseThrow(() -> new AssertionError(container.path("name") + " mounts nothing that holds " + path));
    JsonNode volume = volumeByName(pod, mount.path("name").asText());
    if (!volume.has("hostPath")) {
      fail(path + " is not on a host path: " + volume);
    }
    String hostPath = volume.path("hostPath").path("path").asText();
    return hostPath + path.substring(mount.path("mountPath").asText().length());
  }

  /** The host path behind what {@code container} mounts at {@code mountPath}. */
  private static String hostPathMountedAt(JsonNode pod, JsonNode container, String mountPath) {
    JsonNode volume = volumeByName(pod, mountAt(container, mountPath).path("name").asText());
    if (!volume.has("hostPath")) {
      fail(mountPath + " is not a host path: " + volume);
    }
    return volume.path("hostPath").path("path").asText();
  }

  private static boolean toleratesEverything(JsonNode pod) {
    return stream(pod.path("tolerations")).anyMatch(t -> t.path("operator").asText().equals("Exists")
        && !t.has("key") && !t.has("effect"));
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> texts = new HashSet<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> list = new ArrayList<>();
    array.forEach(list::add);
    return list.stream();
  }
}
