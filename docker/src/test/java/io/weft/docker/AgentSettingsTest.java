package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent is configured in the manifest through WEFT_* variables, the environment twins of its flags
 * (SPEC.md). A misspelt or unwired name is silently ignored by the agent, so each one is checked against
 * the flags the real launcher, {@code bin/weft-agent --help}, lists.
 */
class AgentSettingsTest {
  private static final Pattern WEFT_VARIABLE = Pattern.compile("\\bWEFT_[A-Z0-9_]*[A-Z0-9]");
  private static Set<String> twins;

  @BeforeAll
  static void flagsOfTheRealAgent() {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Shell.Result help = Shell.runClean(List.of(Repo.dist().resolve("bin/weft-agent").toString(), "--help"),
        Map.of("WEFT_JAVA", java.toString(), "PATH", "/usr/bin:/bin"), "");
    assertEquals(0, help.exitCode(), help::toString);
    String options = help.stdout().split("\nCommands:", 2)[0];
    twins = new TreeSet<>();
    Matcher flag = Pattern.compile("--([a-z][a-z-]*[a-z])").matcher(options);
    while (flag.find()) {
      if (!Set.of("help", "version").contains(flag.group(1))) {
        twins.add("WEFT_" + flag.group(1).replace('-', '_').toUpperCase());
      }
    }
    assertTrue(twins.containsAll(Set.of("WEFT_NODE_IP", "WEFT_PEER", "WEFT_SECRET_FILE")), twins::toString);
  }

  @Test
  void everyVariableTheManifestGivesTheAgentIsTheTwinOfOneOfItsFlags() throws IOException {
    String manifest = Repo.read(Repo.docker().resolve("weft.yaml"));
    List<JsonNode> objects = new ArrayList<>();
    new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(manifest).forEachRemaining(objects::add);
    Set<String> given = new TreeSet<>();
    for (JsonNode object : objects) {
      if (object.path("kind").asText().equals("ConfigMap")) {
        object.path("data").fieldNames().forEachRemaining(key -> {
          if (key.startsWith("WEFT_")) {
            given.add(key);
          }
        });
      }
      if (object.path("kind").asText().equals("DaemonSet")) {
        for (JsonNode container : object.path("spec").path("template").path("spec").path("containers")) {
          container.path("env").forEach(variable -> given.add(variable.path("name").asText()));
        }
      }
    }
    // Settings the header tells the user to uncomment (the seed peer).
    Matcher commented = Pattern.compile("(?m)^\\s*#\\s*(WEFT_[A-Z_]+):").matcher(manifest);
    while (commented.find()) {
      given.add(commented.group(1));
    }

    assertTrue(given.containsAll(Set.of("WEFT_NODE_NAME", "WEFT_NODE_IP", "WEFT_PEER_DNS", "WEFT_SECRET_FILE",
        "WEFT_CLUSTER_CIDR", "WEFT_PEER")), given::toString);
    Set<String> unknown = new TreeSet<>(given);
    unknown.removeAll(twins);
    assertEquals(Set.of(), unknown, "not the twin of any flag in `weft-agent --help`: " + twins);
  }

  @Test
  void everyVariableTheDocsAndManifestsNameIsAFlagTwinOrReadByALauncherOrScript() {
    StringBuilder readers = new StringBuilder();
    for (Path dir : List.of(Repo.docker(), Repo.root().resolve("agent/src/main/dist"))) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.filter(f -> Files.isRegularFile(f) && (f.toString().endsWith(".sh") || f.getParent().endsWith("bin")))
            .forEach(f -> readers.append(Repo.read(f)).append('\n'));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    Set<String> unknown = new TreeSet<>();
    for (Path user : List.of(Repo.root().resolve("docs/operations.md"), Repo.root().resolve("docs/security.md"),
        Repo.docker().resolve("weft.yaml"), Repo.docker().resolve("weft-cleanup.yaml"))) {
      Matcher name = WEFT_VARIABLE.matcher(Repo.read(user));
      while (name.find()) {
        String variable = name.group();
        if (!twins.contains(variable) && !Pattern.compile("\\b" + variable + "\\b").matcher(readers).find()) {
          unknown.add(user.getFileName() + ": " + variable);
        }
      }
    }
    assertEquals(Set.of(), unknown, "neither a flag's twin nor read by docker/*.sh or agent/src/main/dist");
  }
}
