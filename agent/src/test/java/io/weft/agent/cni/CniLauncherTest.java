package io.weft.agent.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which class archive {@code bin/weft} hands its JVM: the source launcher in a tree of its own, run by
 * {@code sh} with a stand-in {@code java} (a script that prints its arguments) in a fake runtime whose
 * {@code release} file says which JDK it is.
 */
class CniLauncherTest {
  private static final Path DIST = Path.of("src/main/dist");
  @TempDir Path tmp;
  private Path home;
  private Path lib;

  @BeforeEach
  void tree() throws IOException {
    home = tmp.resolve("weft");
    lib = Files.createDirectories(home.resolve("lib"));
    Files.createDirectories(home.resolve("bin"));
    Files.copy(DIST.resolve("bin/weft"), home.resolve("bin/weft"));
    Files.copy(DIST.resolve("lib/launcher.sh"), lib.resolve("launcher.sh"));
    Files.writeString(lib.resolve("weft-cni-adapter.jar"), "jar");
  }

  /** A runtime at {@code dir} whose java prints its arguments, one per line. */
  private Path runtime(String dir, String release) throws IOException {
    Path bin = Files.createDirectories(tmp.resolve(dir).resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (release != null) {
      Files.writeString(tmp.resolve(dir).resolve("release"), release);
    }
    return java;
  }

  private void archive(String name, String madeBy) throws IOException {
    Files.writeString(lib.resolve(name), "archive");
    Files.writeString(lib.resolve(name + ".jvm"), madeBy + "\n");
  }

  private List<String> launch(Path java) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sh", home.resolve("bin/weft").toString());
    pb.environment().put("WEFT_JAVA", java.toString());
    pb.environment().remove("WEFT_JAVA_OPTS");
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    return out.lines().toList();
  }

  private static final String JDK25 = "JAVA_VERSION=\"25.0.3\"\nJAVA_RUNTIME_VERSION=\"25.0.3+9-LTS\"\nMODULES=\"java.base\"\n";
  private static final String JDK17 = "IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"17.0.15\"\nJAVA_RUNTIME_VERSION=\"17.0.15+6\"\n";

  @Test
  void aJdk25TakesTheAotCacheItMadeAndNothingElse() throws Exception {
    Path java = runtime("jdk25", JDK25);
    archive("weft-cni.aot", java + " 25.0.3 25.0.3+9-LTS");
    archive("weft-cni.jsa", "/usr/lib/jvm/java-17/bin/java 17.0.15 17.0.15+6");
    List<String> args = launch(java);
    assertTrue(args.contains("-XX:AOTCache=" + lib.toRealPath().resolve("weft-cni.aot")), args.toString());
    assertTrue(args.contains("-Djdk.reflect.useNativeAccessorOnly=true"), args.toString());
    assertFalse(args.stream().anyMatch(a -> a.startsWith("-XX:SharedArchiveFile")), args.toString());
    assertEquals(List.of("-cp", lib.toRealPath().resolve("weft-cni-adapter.jar").toString(), "io.weft.cni.CniMain"),
        args.subList(args.size() - 3, args.size()));
    assertTrue(args.containsAll(List.of("-XX:+UseSerialGC", "-Xint", "-XX:-UsePerfData", "-Xlog:disable",
        "-Xlog:all=warning:stderr")), args.toString());
  }

  @Test
  void anArchiveOfAnotherJvmIsNeverHandedOver() throws Exception {
    Path java = runtime("jdk25", JDK25);
    archive("weft-cni.aot", "/elsewhere/bin/java 25.0.3 25.0.3+9-LTS");
    List<String> args = launch(java);
    assertFalse(args.stream().anyMatch(a -> a.startsWith("-XX:AOTCache") || a.startsWith("-XX:SharedArchiveFile")),
        args.toString());

    archive("weft-cni.aot", java + " 25.0.3 25.0.2+7-LTS");
    assertFalse(launch(java).stream().anyMatch(a -> a.startsWith("-XX:AOTCache")), "another build of 25.0.3");
  }

  @Test
  void aJdk17TakesTheAppCdsArchiveItMade() throws Exception {
    Path java = runtime("jdk17", JDK17);
    archive("weft-cni.jsa", java + " 17.0.15 17.0.15+6");
    archive("weft-cni.aot", java + " 17.0.15 17.0.15+6");
    List<String> args = launch(java);
    assertTrue(args.contains("-XX:SharedArchiveFile=" + lib.toRealPath().resolve("weft-cni.jsa")), args.toString());
    assertTrue(args.contains("-Xshare:auto"), args.toString());
    assertFalse(args.stream().anyMatch(a -> a.startsWith("-XX:AOTCache") || a.startsWith("-Djdk.reflect")), args.toString());
  }

  @Test
  void aJlinkedRuntimeWithoutARuntimeVersionAndAJavaReachedThroughASymlink() throws Exception {
    Path java = runtime("jre25", "JAVA_VERSION=\"25.0.3\"\nMODULES=\"java.base\"\n");
    archive("weft-cni.aot", java + " 25.0.3 ");
    Path link = tmp.resolve("java-link");
    Files.createSymbolicLink(link, java);
    assertTrue(launch(link).contains("-XX:AOTCache=" + lib.toRealPath().resolve("weft-cni.aot")));
  }

  @Test
  void aRuntimeThatCannotBeToldGetsNoArchive() throws Exception {
    Path java = runtime("norelease", null);
    archive("weft-cni.jsa", java + "  ");
    List<String> args = launch(java);
    assertFalse(args.stream().anyMatch(a -> a.startsWith("-XX:AOTCache") || a.startsWith("-XX:SharedArchiveFile")),
        args.toString());
  }
}
