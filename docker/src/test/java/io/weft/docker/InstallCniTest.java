package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/install-cni.sh run by /bin/sh against a temporary root, with the real forwarder the agent's tree
 * holds (agent/target/weft/bin/weft, what the image ships): exactly the two files it lays out and their
 * modes, that the installed plugin is that very file, static, and answers VERSION with nothing from the
 * host, that a second run touches nothing, that an upgrade replaces by rename and removes an older
 * release's Java payload (and nothing that only resembles it), and that --uninstall removes only what
 * it installed.
 */
class InstallCniTest {
  private static final Path SCRIPT = Repo.docker().resolve("install-cni.sh");
  private static final String PLUGIN = "opt/cni/bin/weft";
  private static final String CONFIG = "etc/cni/net.d/10-weft.conflist";

  @TempDir Path tmp;
  private Path forwarder;
  private Path conflist;
  private Path root;

  @BeforeEach
  void paths() throws IOException {
    forwarder = Repo.dist().resolve("bin/weft");
    conflist = Repo.docker().resolve("10-weft.conflist");
    root = tmp.resolve("root");
    Files.createDirectories(root);
  }

  @Test
  void installsExactlyTheForwarderAndTheConfigWithTheirModes() throws IOException {
    Shell.Result result = install(root, Map.of());

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(Set.of(PLUGIN, CONFIG), files(root).keySet());
    assertAll(
        () -> assertEquals(-1, Files.mismatch(forwarder, root.resolve(PLUGIN)), "byte for byte agent/target/weft/bin/weft"),
        () -> assertEquals("rwxr-xr-x", mode(root.resolve(PLUGIN))),
        () -> assertEquals("rw-r--r--", mode(root.resolve(CONFIG))),
        () -> assertEquals(Files.readString(conflist), Files.readString(root.resolve(CONFIG))));
  }

  @Test
  void theInstalledPluginIsStaticAndAnswersVersionWithNothingFromTheHost() throws IOException {
    assertEquals(0, install(root, Map.of()).exitCode());
    Path plugin = root.resolve(PLUGIN);

    // No program interpreter and no shared library: the host needs nothing but this file.
    assertEquals(List.of(), Elf.hostDependencies(plugin), plugin + " is not statically linked");
    // The check sees a dynamic executable when there is one.
    assertFalse(Elf.hostDependencies(Path.of("/bin/sh").toRealPath()).isEmpty(), "/bin/sh reads as static");
    // The container runtime gives the plugin the CNI_ variables only: no PATH, no JAVA_HOME.
    Shell.Result version = Shell.runClean(List.of(plugin.toString()), Map.of("CNI_COMMAND", "VERSION"), "");

    assertEquals(0, version.exitCode(), version::toString);
    JsonNode answer = new JsonMapper().readTree(version.stdout());
    assertEquals("[\"0.4.0\",\"1.0.0\",\"1.1.0\"]", answer.path("supportedVersions").toString(), version::toString);
  }

  @Test
  void aSecondRunChangesNothing() throws IOException {
    assertEquals(0, install(root, Map.of()).exitCode());
    Map<String, String> before = files(root);

    Shell.Result again = install(root, Map.of());

    assertEquals(0, again.exitCode(), again::toString);
    assertEquals(before, files(root), "inode, mtime, mode and size of every file");
    assertFalse(again.stdout().contains("wrote"), again::toString);
  }

  @Test
  void anUnchangedPluginWithAnotherModeGetsItsModeBackInPlace() throws IOException {
    assertEquals(0, install(root, Map.of()).exitCode());
    Path plugin = root.resolve(PLUGIN);
    Object inode = Files.getAttribute(plugin, "unix:ino");
    Files.setPosixFilePermissions(plugin, PosixFilePermissions.fromString("rw-------"));

    Shell.Result again = install(root, Map.of());

    assertEquals(0, again.exitCode(), again::toString);
    assertEquals("rwxr-xr-x", mode(plugin));
    assertEquals(inode, Files.getAttribute(plugin, "unix:ino"), "not rewritten");
  }

  @Test
  void anUpgradeReplacesAChangedPluginByRenameAndLeavesTheConfig() throws IOException {
    assertEquals(0, install(root, Map.of()).exitCode());
    Path plugin = root.resolve(PLUGIN);
    Object oldInode = Files.getAttribute(plugin, "unix:ino");
    String configBefore = files(root).get(CONFIG);
    Path newer = tmp.resolve("newer-weft");
    Files.write(newer, concat(Files.readAllBytes(forwarder), new byte[] {0}));

    Shell.Result upgrade = install(root, Map.of("WEFT_PAYLOAD", newer.toString()));

    assertEquals(0, upgrade.exitCode(), upgrade::toString);
    assertEquals(-1, Files.mismatch(newer, plugin));
    assertEquals("rwxr-xr-x", mode(plugin));
    // A new inode: a plugin still running from the old file keeps its bytes, and no runtime sees half a file.
    assertNotEquals(oldInode, Files.getAttribute(plugin, "unix:ino"), "replaced by rename");
    assertEquals(configBefore, files(root).get(CONFIG), "the config is untouched");
    assertEquals(Set.of(PLUGIN, CONFIG), files(root).keySet(), "no temporary file left");
    assertTrue(upgrade.stdout().contains("wrote " + plugin), upgrade::toString);
  }

  @Test
  void sweepsTheTemporaryFilesOfAnInstallThatWasKilledHalfWay() throws IOException {
    assertEquals(0, install(root, Map.of()).exitCode());
    write(root.resolve("opt/cni/bin/.weft.weft-install.4242"), "half", "rw-------");
    write(root.resolve("etc/cni/net.d/.10-weft.conflist.weft-install.4242"), "half", "rw-------");

    Shell.Result again = install(root, Map.of());

    assertEquals(0, again.exitCode(), again::toString);
    assertEquals(Set.of(PLUGIN, CONFIG), files(root).keySet());
  }

  @Test
  void anUpgradeFromTheJavaPluginReplacesItsWrapperAndRemovesItsPayload() throws IOException {
    oldLayout(root);
    write(root.resolve("opt/cni/bin/portmap"), "another plugin", "rwxr-xr-x");
    write(root.resolve("opt/other/keep"), "not Weft's", "rw-r--r--");

    Shell.Result upgrade = install(root, Map.of());

    assertEquals(0, upgrade.exitCode(), upgrade::toString);
    assertEquals(Set.of(PLUGIN, CONFIG, "opt/cni/bin/portmap", "opt/other/keep"), files(root).keySet());
    assertFalse(Files.exists(root.resolve("opt/weft")), "the old payload directory is gone");
    assertEquals(-1, Files.mismatch(forwarder, root.resolve(PLUGIN)), "the old wrapper is replaced by the forwarder");
    assertTrue(upgrade.stdout().contains("removed " + root.resolve("opt/weft")), upgrade::toString);
    assertEquals("", upgrade.stderr(), upgrade::toString);

    Shell.Result again = install(root, Map.of());
    assertEquals(0, again.exitCode(), again::toString);
    assertFalse(again.stdout().contains("removed"), again::toString);
  }

  @Test
  void leavesAnOptWeftThatIsNotExactlyTheOldPluginPayload() throws IOException {
    // A systemd node's agent tree (bin/weft-agent), even one with a runtime and the old plugin's jar.
    Path agentTree = tmp.resolve("agent-tree");
    oldLayout(agentTree);
    write(agentTree.resolve("opt/weft/bin/weft-agent"), "#!/bin/sh\n", "rwxr-xr-x");
    // The old payload plus a file of someone else's.
    Path withExtra = tmp.resolve("with-extra");
    oldLayout(withExtra);
    write(withExtra.resolve("opt/weft/notes.txt"), "mine", "rw-r--r--");
    // Another product's /opt/weft: no plugin jar.
    Path foreign = tmp.resolve("foreign");
    write(foreign.resolve("opt/weft/bin/weft"), "#!/bin/sh\n", "rwxr-xr-x");
    write(foreign.resolve("opt/weft/lib/weft.jar"), "jar", "rw-r--r--");
    // A symbolic link, whatever it points at.
    Path linked = tmp.resolve("linked");
    oldLayout(linked.resolve("elsewhere"));
    Files.createDirectories(linked.resolve("opt"));
    Files.createSymbolicLink(linked.resolve("opt/weft"), linked.resolve("elsewhere/opt/weft"));

    for (Path node : List.of(agentTree, withExtra, foreign, linked)) {
      Map<String, String> before = files(node.resolve("opt/weft"));
      Shell.Result result = install(node, Map.of());

      assertEquals(0, result.exitCode(), result::toString);
      assertEquals(before, files(node.resolve("opt/weft")), node + ": left as it was");
      assertFalse(result.stdout().contains("removed"), result::toString);
      if (node.equals(withExtra)) {
        assertTrue(result.stderr().contains("also holds " + node.resolve("opt/weft/notes.txt") + "; left in place"),
            result::toString);
      }
    }
  }

  @Test
  void uninstallRemovesWhatItInstalledAndNothingElse() throws IOException {
    assertEquals(0, install(root, Map.of()).exitCode());
    write(root.resolve("opt/cni/bin/portmap"), "another plugin", "rwxr-xr-x");
    write(root.resolve("etc/cni/net.d/99-loopback.conf"), "{}", "rw-r--r--");

    Shell.Result result = Shell.sh(SCRIPT, Map.of(), "--uninstall", root.toString());

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(Set.of("opt/cni/bin/portmap", "etc/cni/net.d/99-loopback.conf"), files(root).keySet());
  }

  @Test
  void uninstallOnANodeStillOnTheOldLayoutRemovesItsPayloadToo() throws IOException {
    oldLayout(root);
    write(root.resolve(CONFIG), Files.readString(conflist), "rw-r--r--");

    Shell.Result result = Shell.sh(SCRIPT, Map.of(), "--uninstall", root.toString());

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(Set.of(), files(root).keySet());
    assertFalse(Files.exists(root.resolve("opt/weft")));
  }

  @Test
  void warnsWhenAnotherNetworkConfigWouldWin() throws IOException {
    write(root.resolve("etc/cni/net.d/05-other.conflist"), "{}", "rw-r--r--");

    Shell.Result result = install(root, Map.of());

    assertEquals(0, result.exitCode(), result::toString);
    assertTrue(result.stderr().contains("05-other.conflist sorts before 10-weft.conflist"), result::toString);
  }

  @Test
  void refusesBadUsageAMissingPluginOrConfigAndAnOldPayloadDirectoryThatIsNotItsOwn() {
    // Each refusal, and the words its message must hold.
    List<Map.Entry<String, Shell.Result>> refused = List.of(
        Map.entry("WEFT_HOME_DIR", install(root, Map.of("WEFT_HOME_DIR", "/opt"))),
        Map.entry("WEFT_HOME_DIR", install(root, Map.of("WEFT_HOME_DIR", "/opt/"))),
        Map.entry("plugin executable", install(root, Map.of("WEFT_PAYLOAD", tmp.resolve("none").toString()))),
        Map.entry("plugin executable", install(root, Map.of("WEFT_PAYLOAD", tmp.toString()))),
        Map.entry("network config", install(root, Map.of("WEFT_CNI_CONFLIST", tmp.resolve("none").toString()))),
        Map.entry("usage", Shell.sh(SCRIPT, Map.of(), root.toString(), "extra")));

    for (Map.Entry<String, Shell.Result> refusal : refused) {
      Shell.Result result = refusal.getValue();
      assertEquals(2, result.exitCode(), result::toString);
      assertTrue(result.stderr().contains(refusal.getKey()), result::toString);
    }
    assertEquals(Set.of(), files(root).keySet(), "nothing written");
  }

  // --- helpers

  private Shell.Result install(Path rootDir, Map<String, String> extra) {
    Map<String, String> env = new TreeMap<>(Map.of(
        "WEFT_PAYLOAD", forwarder.toString(), "WEFT_CNI_CONFLIST", conflist.toString()));
    env.putAll(extra);
    return Shell.sh(SCRIPT, env, rootDir.toString());
  }

  /**
   * What an older release's install-cni.sh left under {@code rootDir}: the plugin's jlink'ed runtime, its
   * launcher, jar and class archives in /opt/weft (with the temporary file of a killed copy), and the
   * wrapper in /opt/cni/bin that ran them.
   */
  private static void oldLayout(Path rootDir) throws IOException {
    Path home = rootDir.resolve("opt/weft");
    write(home.resolve("jre/bin/java"), "#!/bin/sh\n", "rwxr-xr-x");
    write(home.resolve("jre/lib/modules"), "modules image", "rw-r--r--");
    write(home.resolve("jre/release"), "JAVA_VERSION=\"25\"\n", "rw-r--r--");
    Files.createDirectories(home.resolve("jre/legal/java.base"));
    Files.createSymbolicLink(home.resolve("jre/legal/java.base/ASSEMBLY_EXCEPTION"), Path.of("../../ASSEMBLY_EXCEPTION"));
    write(home.resolve("bin/weft"), "#!/bin/sh\nexec java -jar weft-cni-adapter.jar\n", "rwxr-xr-x");
    write(home.resolve("bin/.weft.weft-install.77"), "half", "rw-------");
    for (String lib : List.of("launcher.sh", "weft-cni-adapter.jar", "weft-cni-archives.sh", "weft-cni.aot", "weft-cni.aot.jvm")) {
      write(home.resolve("lib").resolve(lib), lib, "rw-r--r--");
    }
    write(rootDir.resolve(PLUGIN), "#!/bin/sh\nWEFT_JAVA=/opt/weft/jre/bin/java\nexport WEFT_JAVA\nexec /opt/weft/bin/weft \"$@\"\n",
        "rwxr-xr-x");
  }

  /** Every file and link under {@code dir} (relative path) with its inode, mtime, mode and size. */
  private static Map<String, String> files(Path dir) {
    if (!Files.exists(dir)) {
      return Map.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).collect(Collectors.toMap(
          p -> dir.relativize(p).toString(), InstallCniTest::identity, (a, b) -> a, TreeMap::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String identity(Path file) {
    try {
      if (Files.isSymbolicLink(file)) {
        return "link " + Files.readSymbolicLink(file);
      }
      FileTime mtime = Files.getLastModifiedTime(file);
      return Files.getAttribute(file, "unix:ino") + " " + mtime + " " + mode(file) + " " + Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String mode(Path file) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  private static void write(Path file, String content, String mode) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
