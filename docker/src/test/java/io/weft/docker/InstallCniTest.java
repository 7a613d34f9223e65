package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * docker/install-cni.sh run by /bin/sh against a temporary root: the exact files and modes it lays out,
 * that a second run touches nothing, that an upgrade replaces and prunes, that the installed plugin
 * really runs, and that --uninstall removes only what it installed.
 */
class InstallCniTest {
  private static final Path SCRIPT = Repo.docker().resolve("install-cni.sh");

  @TempDir Path tmp;
  private Path payload;
  private Path conflist;
  private Path root;

  /** A payload shaped like the image's /usr/share/weft/host, with the real launcher and jar from the dist. */
  @BeforeEach
  void payload() throws IOException {
    payload = tmp.resolve("payload");
    Path dist = Repo.dist();
    Files.createDirectories(payload.resolve("jre/bin"));
    Files.createDirectories(payload.resolve("jre/lib"));
    Files.createDirectories(payload.resolve("bin"));
    Files.createDirectories(payload.resolve("lib"));
    // Stands in for a jlink'ed runtime: forwards to the JVM running this test.
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    write(payload.resolve("jre/bin/java"), "#!/bin/sh\nexec " + java + " \"$@\"\n", "rwxr-xr-x");
    write(payload.resolve("jre/lib/modules"), "modules image", "rw-r--r--");
    write(payload.resolve("jre/release"), "JAVA_VERSION=\"17\"\n", "rw-r--r--");
    for (String file : List.of("bin/weft", "lib/launcher.sh", "lib/weft-cni-adapter.jar")) {
      Files.copy(dist.resolve(file), payload.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
    }
    conflist = Repo.docker().resolve("10-weft.conflist");
    root = tmp.resolve("root");
    Files.createDirectories(root);
  }

  @Test
  void laysOutExactlyThePluginRuntimeWrapperAndConfigWithTheirModes() throws IOException {
    Shell.Result result = install(root.toString(), Map.of());

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(Set.of(
            "opt/weft/jre/bin/java", "opt/weft/jre/lib/modules", "opt/weft/jre/release",
            "opt/weft/bin/weft", "opt/weft/lib/launcher.sh", "opt/weft/lib/weft-cni-adapter.jar",
            "opt/cni/bin/weft", "etc/cni/net.d/10-weft.conflist"),
        files(root).keySet());
    assertAll(
        () -> assertEquals("rwxr-xr-x", mode(root.resolve("opt/cni/bin/weft"))),
        () -> assertEquals("rw-r--r--", mode(root.resolve("etc/cni/net.d/10-weft.conflist"))),
        () -> assertEquals("rwxr-xr-x", mode(root.resolve("opt/weft/jre/bin/java"))),
        () -> assertEquals(mode(payload.resolve("bin/weft")), mode(root.resolve("opt/weft/bin/weft"))),
        () -> assertEquals("rw-r--r--", mode(root.resolve("opt/weft/lib/weft-cni-adapter.jar"))),
        // Kept, not just the bytes: a class-data-sharing archive checks the jar's modification time.
        () -> assertEquals(Files.getLastModifiedTime(payload.resolve("lib/weft-cni-adapter.jar")),
            Files.getLastModifiedTime(root.resolve("opt/weft/lib/weft-cni-adapter.jar"))),
        () -> assertEquals(Files.readString(conflist),
            Files.readString(root.resolve("etc/cni/net.d/10-weft.conflist"))));
    String wrapper = Files.readString(root.resolve("opt/cni/bin/weft"));
    assertTrue(wrapper.startsWith("#!/bin/sh\n"), wrapper);
    assertTrue(wrapper.contains("WEFT_JAVA=/opt/weft/jre/bin/java\n"), wrapper);
    assertTrue(wrapper.contains("exec /opt/weft/bin/weft \"$@\"\n"), wrapper);
  }

  @Test
  void aSecondRunChangesNothing() throws IOException {
    assertEquals(0, install(root.toString(), Map.of()).exitCode());
    Map<String, String> before = files(root);

    Shell.Result again = install(root.toString(), Map.of());

    assertEquals(0, again.exitCode(), again::toString);
    assertEquals(before, files(root), "inode, mtime, mode and size of every file");
    assertFalse(again.stdout().contains("wrote"), again::toString);
  }

  @Test
  void anUpgradeReplacesChangedFilesAsNewFilesAndRemovesStaleOnes() throws IOException {
    assertEquals(0, install(root.toString(), Map.of()).exitCode());
    Path installedJar = root.resolve("opt/weft/lib/weft-cni-adapter.jar");
    Object oldInode = Files.getAttribute(installedJar, "unix:ino");
    Files.writeString(payload.resolve("lib/weft-cni-adapter.jar"), "a newer jar");
    Files.delete(payload.resolve("jre/release"));
    Files.createDirectories(payload.resolve("jre/lib/server"));
    write(payload.resolve("jre/lib/server/libjvm.so"), "jvm", "rw-r--r--");

    Shell.Result upgrade = install(root.toString(), Map.of());

    assertEquals(0, upgrade.exitCode(), upgrade::toString);
    assertEquals("a newer jar", Files.readString(installedJar));
    // A new inode: a plugin still running from the old jar keeps reading the old bytes.
    assertFalse(oldInode.equals(Files.getAttribute(installedJar, "unix:ino")), "jar replaced by rename");
    Set<String> paths = files(root).keySet();
    assertFalse(paths.contains("opt/weft/jre/release"), paths::toString);
    assertTrue(paths.contains("opt/weft/jre/lib/server/libjvm.so"), paths::toString);
    assertEquals(8, paths.size(), paths::toString);
  }

  @Test
  void sweepsTheTemporaryFilesOfAnInstallThatWasKilledHalfWay() throws IOException {
    assertEquals(0, install(root.toString(), Map.of()).exitCode());
    write(root.resolve("opt/cni/bin/.weft.weft-install.4242"), "half", "rw-------");
    write(root.resolve("etc/cni/net.d/.10-weft.conflist.weft-install.4242"), "half", "rw-------");
    write(root.resolve("opt/weft/lib/.weft-cni-adapter.jar.weft-install.4242"), "half", "rw-------");

    Shell.Result again = install(root.toString(), Map.of());

    assertEquals(0, again.exitCode(), again::toString);
    assertEquals(8, files(root).size(), () -> files(root).keySet().toString());
  }

  @Test
  void theInstalledPluginRunsWithItsOwnRuntimeAndAnEmptyEnvironment() throws IOException {
    // Root "/" with host paths inside the temp dir, so the wrapper's absolute paths really exist.
    Path host = tmp.resolve("host");
    Map<String, String> paths = Map.of(
        "WEFT_HOME_DIR", host.resolve("opt/weft").toString(),
        "WEFT_CNI_BIN_DIR", host.resolve("opt/cni/bin").toString(),
        "WEFT_CNI_CONF_DIR", host.resolve("etc/cni/net.d").toString());
    assertEquals(0, install("/", paths).exitCode());

    // The container runtime gives the plugin the CNI_ variables, not JAVA_HOME or a PATH with java.
    Shell.Result version = Shell.runClean(List.of(host.resolve("opt/cni/bin/weft").toString()),
        Map.of("CNI_COMMAND", "VERSION"), "");

    assertEquals(0, version.exitCode(), version::toString);
    assertTrue(version.stdout().contains("\"supportedVersions\""), version::toString);
  }

  @Test
  void uninstallRemovesWhatItInstalledAndNothingElse() throws IOException {
    assertEquals(0, install(root.toString(), Map.of()).exitCode());
    write(root.resolve("opt/cni/bin/portmap"), "another plugin", "rwxr-xr-x");
    write(root.resolve("etc/cni/net.d/99-loopback.conf"), "{}", "rw-r--r--");

    Shell.Result result = Shell.sh(SCRIPT, Map.of(), "--uninstall", root.toString());

    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(Set.of("opt/cni/bin/portmap", "etc/cni/net.d/99-loopback.conf"), files(root).keySet());
    assertFalse(Files.exists(root.resolve("opt/weft")));
  }

  @Test
  void warnsWhenAnotherNetworkConfigWouldWin() throws IOException {
    Files.createDirectories(root.resolve("etc/cni/net.d"));
    write(root.resolve("etc/cni/net.d/05-other.conflist"), "{}", "rw-r--r--");

    Shell.Result result = install(root.toString(), Map.of());

    assertEquals(0, result.exitCode(), result::toString);
    assertTrue(result.stderr().contains("05-other.conflist sorts before 10-weft.conflist"), result::toString);
  }

  @Test
  void refusesAPayloadDirectoryThatIsNotItsOwnAndAMissingConfig() {
    Shell.Result sharedHome = install(root.toString(), Map.of("WEFT_HOME_DIR", "/opt"));
    Shell.Result noConfig = install(root.toString(), Map.of("WEFT_CNI_CONFLIST", tmp.resolve("none").toString()));

    assertEquals(2, sharedHome.exitCode(), sharedHome::toString);
    assertTrue(sharedHome.stderr().contains("WEFT_HOME_DIR"), sharedHome::toString);
    assertEquals(2, noConfig.exitCode(), noConfig::toString);
    assertTrue(noConfig.stderr().contains("network config"), noConfig::toString);
    assertEquals(Set.of(), files(root).keySet(), "nothing written");
  }

  private Shell.Result install(String rootArgument, Map<String, String> extra) {
    Map<String, String> env = new TreeMap<>(Map.of(
        "WEFT_PAYLOAD", payload.toString(), "WEFT_CNI_CONFLIST", conflist.toString()));
    env.putAll(extra);
    return Shell.sh(SCRIPT, env, rootArgument);
  }

  /** Every file and link under {@code dir} (relative path) with its inode, mtime, mode and size. */
  private static Map<String, String> files(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !Files.isDirectory(p)).collect(Collectors.toMap(
          p -> dir.relativize(p).toString(), InstallCniTest::identity, (a, b) -> a, TreeMap::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String identity(Path file) {
    try {
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
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
  }
}
