package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * With no Docker engine at hand, checks docker/Dockerfile against the tree {@code mvn package} leaves:
 * every path it takes from agent/target/weft exists, everything the final stage copies has a source,
 * every image path that the manifests and scripts name is put there by a COPY, the build stage can
 * compile the static CNI forwarder, and the image carries that one file for the host and no Java for it.
 */
class DockerfileTest {
  /** The build stage's WORKDIR holds the checkout. */
  private static final String SRC = "/src/";
  private static final Pattern DIST_PATH = Pattern.compile("/src/(agent/target/weft[^\\s\"';|&)]*)");
  private static final Pattern IMAGE_PATH = Pattern.compile("/usr/(?:lib|share)/weft[^\\s\"'\\]},:)]*");

  /** One instruction, continuation lines joined, in the stage it belongs to. */
  record Instruction(String keyword, String arguments, String stage) {
    List<String> words() {
      return List.of(arguments.trim().split("\\s+"));
    }
  }

  @Test
  void everyPathTakenFromTheAssembledTreeExists() throws IOException {
    Set<String> paths = new TreeSet<>();
    for (Instruction instruction : instructions()) {
      Matcher matcher = DIST_PATH.matcher(instruction.arguments());
      while (matcher.find()) {
        paths.add(matcher.group(1));
      }
    }
    assertTrue(paths.containsAll(Set.of("agent/target/weft/bin/", "agent/target/weft/lib/")), paths::toString);
    for (String path : paths) {
      assertTrue(exists(Repo.root(), path), path + " is named in docker/Dockerfile but `mvn package` did not make it");
    }
  }

  @Test
  void everyCopyFromAnotherStageHasASource() {
    List<Instruction> instructions = instructions();
    List<Instruction> copies = instructions.stream()
        .filter(i -> i.keyword().equals("COPY") && i.arguments().contains("--from=")).toList();

    assertFalse(copies.isEmpty());
    for (Instruction copy : copies) {
      Matcher from = Pattern.compile("--from=(\\S+)").matcher(copy.arguments());
      assertTrue(from.find());
      String stage = from.group(1);
      // What a stage makes: its RUNs, and the destinations of its own COPYs.
      List<String> made = new ArrayList<>();
      for (Instruction i : instructions) {
        if (i.stage().equals(stage) && i.keyword().equals("RUN")) {
          made.add(i.arguments());
        } else if (i.stage().equals(stage) && i.keyword().equals("COPY")) {
          made.add(destination(i));
        }
      }
      assertFalse(made.isEmpty(), copy.arguments() + ": no stage " + stage + " makes anything");
      for (String source : sources(copy)) {
        if (source.startsWith(SRC)) {
          assertTrue(exists(Repo.root(), source.substring(SRC.length())), source + " is missing after `mvn package`");
        } else {
          String path = trimSlash(source);
          assertTrue(made.stream().anyMatch(m -> m.contains(path)),
              source + " is copied from stage " + stage + " but nothing there makes it");
        }
      }
    }
  }

  @Test
  void theBuildStageGetsACompilerAndTheStaticCLibraryBeforeMavenAndBuildsWithThatCompiler() {
    // cni-adapter compiles bin/weft with `build.sh CC OUT` (-static) during mvn package.
    List<Instruction> build = instructions().stream().filter(i -> i.stage().equals("build")).toList();
    int install = -1;
    int packaging = -1;
    for (int i = 0; i < build.size(); i++) {
      String arguments = build.get(i).arguments();
      if (build.get(i).keyword().equals("RUN") && arguments.contains("apt-get install")
          && List.of(arguments.split("\\s+")).containsAll(List.of("gcc", "libc6-dev"))) {
        install = i;
      }
      if (build.get(i).keyword().equals("RUN") && arguments.contains("mvn ") && arguments.contains(" package")) {
        packaging = i;
        assertTrue(arguments.contains(" -Dweft.cc=gcc "), arguments);
      }
    }
    assertTrue(install >= 0, "the build stage installs gcc and libc6-dev (libc.a) with apt-get");
    assertTrue(packaging > install, "... before it runs mvn package");
    assertTrue(Repo.read(Repo.root().resolve("cni-adapter/pom.xml")).contains("<weft.cc>"),
        "weft.cc is the property cni-adapter passes to build.sh as CC");
  }

  @Test
  void theImageShipsNoJavaForTheHostOnlyTheAgentsRuntime() {
    List<Instruction> instructions = instructions();
    // Two stages: build and the image. No stage for a host runtime, no JDK image for one.
    assertEquals(List.of("build", ""), instructions.stream().filter(i -> i.keyword().equals("FROM"))
        .map(Instruction::stage).toList());
    List<Instruction> jlinks = instructions.stream().filter(i -> i.arguments().contains("jlink ")).toList();
    assertEquals(1, jlinks.size(), jlinks::toString);
    assertTrue(jlinks.get(0).arguments().contains("--output /out/agent-jre"), jlinks::toString);
    // What the Java plugin needed on the host: gone from every instruction.
    for (Instruction instruction : instructions) {
      for (String gone : List.of("weft-cni-adapter.jar", "weft-cni-archives.sh", "weft-cni.aot", "weft-cni.jsa",
          "/opt/weft", "/usr/share/weft/host", "CNI_JDK_IMAGE", "--from=cni")) {
        assertFalse(instruction.arguments().contains(gone), instruction + " still names " + gone);
      }
    }
  }

  @Test
  void thePluginTheInstallerCopiesIsTheAssembledStaticForwarderAtItsDefaultPath() throws IOException {
    Matcher fallback = Pattern.compile("payload=\\$\\{WEFT_PAYLOAD:-([^}]+)}")
        .matcher(Repo.read(Repo.docker().resolve("install-cni.sh")));
    assertTrue(fallback.find(), "install-cni.sh defaults WEFT_PAYLOAD to a path in the image");
    String imagePath = fallback.group(1);
    Instruction copy = instructions().stream()
        .filter(i -> i.stage().isEmpty() && i.keyword().equals("COPY") && provides(i, imagePath)).findFirst()
        .orElseThrow(() -> new AssertionError(imagePath + " is not put in the image by any COPY"));
    // From the assembled tree: the directory COPY of bin/, so the file is agent/target/weft/bin/weft.
    assertEquals(List.of("/src/agent/target/weft/bin/"), sources(copy), copy::toString);
    assertEquals("/usr/lib/weft/bin/", destination(copy), copy::toString);
    assertEquals("/usr/lib/weft/bin/weft", imagePath);
    Path forwarder = Repo.dist().resolve("bin/weft");
    assertTrue(Files.isExecutable(forwarder), forwarder::toString);
    assertEquals(List.of(), Elf.hostDependencies(forwarder), forwarder + " is not statically linked");
  }

  @Test
  void theAgentsClassArchiveIsMadeByTheImagesOwnRuntime() {
    // The archive mvn package made fits the build JDK only; bin/weft-agent would start without it.
    List<String> finalRuns = instructions().stream()
        .filter(i -> i.stage().isEmpty() && i.keyword().equals("RUN")).map(Instruction::arguments).toList();
    assertTrue(finalRuns.contains("sh /usr/lib/weft/lib/weft-agent-cds.sh /usr/lib/weft/jre/bin/java"), finalRuns::toString);
    assertTrue(Files.exists(Repo.root().resolve("agent/src/main/dist/lib/weft-agent-cds.sh")));
  }

  @Test
  void noClassArchiveMadeForTheBuildJdkIsCopiedIntoTheImage() {
    // Each archive fits only the JVM that made it, and the image's runtime is another JVM: copied, they
    // would be dead weight (the agent's alone is ~43 MB, and the layer keeps it although a RUN remakes it).
    List<Instruction> build = instructions().stream().filter(i -> i.stage().equals("build")).toList();
    int packaging = -1;
    int removal = -1;
    for (int i = 0; i < build.size(); i++) {
      String arguments = build.get(i).arguments();
      if (build.get(i).keyword().equals("RUN") && arguments.contains("mvn ") && arguments.contains(" package")) {
        packaging = i;
      }
      if (build.get(i).keyword().equals("RUN") && arguments.startsWith("cd /src/agent/target/weft/lib && rm -f ")
          && List.of("*.jsa", "*.jsa.jvm").stream()
              .allMatch(glob -> arguments.contains(" ./" + glob))) {
        removal = i;
      }
    }
    assertTrue(packaging >= 0, "the build stage runs mvn package");
    assertTrue(removal > packaging, "the build stage removes lib/*.jsa and *.jsa.jvm after mvn package");
  }

  @Test
  void everyFileCopiedFromTheCheckoutExists() {
    for (Instruction copy : instructions()) {
      if (copy.keyword().equals("COPY") && !copy.arguments().contains("--from=")) {
        for (String source : sources(copy)) {
          assertTrue(Files.exists(Repo.root().resolve(source)), source + " is copied into the image but not in the checkout");
        }
      }
    }
  }

  @Test
  void everyImagePathTheManifestsScriptsAndEntrypointNameIsInTheImage() {
    List<Instruction> instructions = instructions();
    List<Instruction> finalCopies = instructions.stream()
        .filter(i -> i.stage().isEmpty() && i.keyword().equals("COPY")).toList();
    StringBuilder users = new StringBuilder();
    for (String file : List.of("weft.yaml", "weft-cleanup.yaml", "install-cni.sh", "agent-entrypoint.sh")) {
      users.append(Repo.read(Repo.docker().resolve(file))).append('\n');
    }
    instructions.stream().filter(i -> i.stage().isEmpty() && Set.of("ENV", "ENTRYPOINT", "CMD").contains(i.keyword()))
        .forEach(i -> users.append(i.arguments()).append('\n'));

    Set<String> named = new TreeSet<>();
    Matcher matcher = IMAGE_PATH.matcher(users);
    while (matcher.find()) {
      named.add(trimSlash(matcher.group()));
    }
    assertTrue(named.containsAll(Set.of("/usr/lib/weft/install-cni.sh", "/usr/lib/weft/agent-entrypoint.sh",
        "/usr/lib/weft/bin/weft-agent", "/usr/lib/weft/jre/bin/java", "/usr/lib/weft/bin/weft",
        "/usr/share/weft/10-weft.conflist")), named::toString);
    for (String path : named) {
      assertTrue(finalCopies.stream().anyMatch(copy -> provides(copy, path)), path + " is used but no COPY puts it in the image");
    }
  }

  @Test
  void theAssembledTreeHasTheLaunchersAndThePlugin() {
    Path dist = Repo.dist();
    for (String executable : List.of("bin/weft-agent", "bin/meshctl", "bin/weft")) {
      assertTrue(Files.isExecutable(dist.resolve(executable)), executable);
    }
    assertTrue(Files.isRegularFile(dist.resolve("lib/launcher.sh")));
    assertEquals(1, instructions().stream().filter(i -> i.keyword().equals("FROM") && i.arguments().contains(" AS build"))
        .count(), "one build stage named build");
  }

  // --- parsing

  /** Continuation lines joined, comment lines dropped (Docker drops them inside continuations too). */
  static List<Instruction> instructions() {
    List<Instruction> instructions = new ArrayList<>();
    String stage = "";
    StringBuilder pending = new StringBuilder();
    for (String line : Repo.read(Repo.docker().resolve("Dockerfile")).lines().toList()) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && pending.isEmpty())) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      pending.append(trimmed);
      String text = pending.toString();
      pending.setLength(0);
      int space = text.indexOf(' ');
      String keyword = text.substring(0, space).toUpperCase();
      String arguments = text.substring(space + 1);
      if (keyword.equals("FROM")) {
        Matcher as = Pattern.compile("(?i)\\sAS\\s+(\\S+)").matcher(" " + arguments);
        stage = as.find() ? as.group(1) : "";
      }
      instructions.add(new Instruction(keyword, arguments, stage));
    }
    return instructions;
  }

  /** COPY's sources: every word but the flags and the destination. */
  private static List<String> sources(Instruction copy) {
    List<String> words = copy.words().stream().filter(w -> !w.startsWith("--")).toList();
    return words.subList(0, words.size() - 1);
  }

  private static String destination(Instruction copy) {
    List<String> words = copy.words();
    return words.get(words.size() - 1);
  }

  /** Whether {@code copy} puts {@code imagePath} into the image (a file, or a directory's content). */
  private static boolean provides(Instruction copy, String imagePath) {
    String destination = destination(copy);
    for (String source : sources(copy)) {
      if (source.endsWith("/")) {
        String dir = trimSlash(destination);
        if (imagePath.equals(dir)) {
          return true;
        }
        if (imagePath.startsWith(dir + "/")) {
          String rest = imagePath.substring(dir.length() + 1);
          // Content from the checkout can be checked; content the build stage generates cannot.
          return !source.startsWith(SRC) || exists(Repo.root(), source.substring(SRC.length()) + rest);
        }
      } else {
        String file = destination.endsWith("/")
            ? destination + Path.of(source).getFileName() : destination;
        if (file.equals(imagePath)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean exists(Path root, String relative) {
    if (!relative.contains("*")) {
      return Files.exists(root.resolve(relative));
    }
    Path pattern = root.resolve(relative);
    try (DirectoryStream<Path> matches = Files.newDirectoryStream(pattern.getParent(), pattern.getFileName().toString())) {
      return matches.iterator().hasNext();
    } catch (IOException e) {
      return false;
    }
  }

  private static String trimSlash(String path) {
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
