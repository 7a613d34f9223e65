package io.weft.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md is the users' copy of the product's outside: its flag tables must list exactly the
 * flags the real executables take, with the defaults they print and the environment twins they read, and
 * its meshctl table every command {@code meshctl --help} lists.
 */
class ReferenceTest {
  private static final Pattern HELP_FLAG = Pattern.compile("^\\s+(?:-\\w, )?--([a-z][a-z-]*[a-z])", Pattern.MULTILINE);

  private static String help(String... command) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> argv = new ArrayList<>(List.of(Repo.dist().resolve(command[0]).toString()));
    argv.addAll(List.of(command).subList(1, command.length));
    Shell.Result r = Shell.runClean(argv, Map.of("WEFT_JAVA", java.toString(), "PATH", "/usr/bin:/bin"), "");
    assertEquals(0, r.exitCode(), r::toString);
    return r.stdout();
  }

  /** Flag to the default its help text names (the text after "default:", unwrapped), from an options block. */
  private static Map<String, String> helpDefaults(String options) {
    Map<String, String> out = new TreeMap<>();
    String current = null;
    StringBuilder text = new StringBuilder();
    for (String line : (options + "\n  --end").split("\n")) {
      Matcher m = HELP_FLAG.matcher(line);
      if (m.find()) {
        if (current != null) {
          out.put(current, defaultOf(text.toString()));
        }
        current = m.group(1);
        text.setLength(0);
      }
      text.append(' ').append(line.strip());
    }
    out.keySet().removeAll(List.of("help", "version"));
    return out;
  }

  private static String defaultOf(String text) {
    String flat = text.replaceAll("\\s+", " ").replace(". vxlan", ".vxlan").strip();
    int at = flat.toLowerCase().lastIndexOf("default:");
    if (at < 0) {
      return "";
    }
    String d = flat.substring(at + "default:".length()).strip();
    d = d.replaceAll("[).]+$", "");
    int cut = d.indexOf(';');
    return (cut >= 0 ? d.substring(0, cut) : d).strip();
  }

  /** The words of a default, punctuation aside: "none, start a new mesh" is "none (start a new mesh)". */
  private static List<String> words(String text) {
    return List.of(text.replaceAll("[(),]", " ").strip().split("\\s+"));
  }

  /** The rows of the markdown table that follows {@code heading}: flag to its cells. */
  private static Map<String, List<String>> table(String reference, String heading) {
    return table(reference, heading, "");
  }

  /** The same, for the first table after {@code heading} whose rows follow {@code after}. */
  private static Map<String, List<String>> table(String reference, String heading, String after) {
    int at = reference.indexOf(heading);
    assertTrue(at >= 0, "docs/reference.md has no " + heading);
    String section = reference.substring(reference.indexOf(after, at));
    Map<String, List<String>> rows = new TreeMap<>();
    boolean seen = false;
    for (String line : section.split("\n")) {
      if (line.startsWith("| `--")) {
        seen = true;
        List<String> cells = new ArrayList<>();
        for (String c : line.substring(1, line.length() - 1).split("\\|")) {
          cells.add(c.strip().replace("`", ""));
        }
        rows.put(cells.get(0).substring(2), cells);
      } else if (seen && !line.startsWith("|")) {
        break;
      }
    }
    return rows;
  }

  @Test
  void theAgentTableListsEveryFlagWithItsTwinAndDefault() {
    String reference = Repo.read(Repo.root().resolve("docs/reference.md"));
    Map<String, String> defaults = helpDefaults(help("bin/weft-agent", "--help").split("\nCommands:", 2)[0]);
    Map<String, List<String>> rows = table(reference, "## weft-agent");
    assertEquals(defaults.keySet(), rows.keySet(), "reference rows against weft-agent --help");
    for (Map.Entry<String, List<String>> row : rows.entrySet()) {
      String flag = row.getKey();
      assertEquals("WEFT_" + flag.replace('-', '_').toUpperCase(), row.getValue().get(1), flag);
      String helpDefault = defaults.get(flag);
      String docDefault = row.getValue().get(2);
      assertEquals(words(helpDefault), words(docDefault), "--" + flag + ": reference says '" + docDefault
          + "', help says '" + helpDefault + "'");
    }
  }

  @Test
  void theCleanupTableListsEveryFlagWithItsDefault() {
    String reference = Repo.read(Repo.root().resolve("docs/reference.md"));
    Map<String, String> defaults = helpDefaults(help("bin/weft-agent", "cleanup", "--help").split("\nExamples:", 2)[0]);
    Map<String, List<String>> rows = table(reference, "### weft-agent cleanup");
    assertEquals(defaults.keySet(), rows.keySet(), "reference rows against weft-agent cleanup --help");
    rows.forEach((flag, cells) -> assertEquals(defaults.get(flag), cells.get(1), "--" + flag));
  }

  @Test
  void theMeshctlTableListsEveryCommand() {
    String reference = Repo.read(Repo.root().resolve("docs/reference.md"));
    String usage = help("bin/meshctl", "--help").split("\nOptions:", 2)[0];
    Matcher command = Pattern.compile("^\\s+(meshctl [a-z]+(?: [a-z]+)?(?: NODE)?)\\s{2,}", Pattern.MULTILINE).matcher(usage);
    int found = 0;
    while (command.find()) {
      found++;
      assertTrue(reference.contains("| `" + command.group(1) + "` |"), "reference lacks " + command.group(1));
    }
    assertTrue(found >= 6, usage);
  }

  @Test
  void theMeshctlOptionTableListsEveryOptionWithItsTwinAndDefault() {
    String reference = Repo.read(Repo.root().resolve("docs/reference.md"));
    String options = help("bin/meshctl", "--help").split("\nOptions:", 2)[1].split("\nExamples:", 2)[0];
    Map<String, String> defaults = helpDefaults(options);
    Map<String, List<String>> rows = table(reference, "## meshctl", "| option |");
    assertEquals(defaults.keySet(), rows.keySet(), "reference rows against meshctl --help");
    for (Map.Entry<String, List<String>> row : rows.entrySet()) {
      String flag = row.getKey();
      // "$WEFT_API_SOCKET or /run/weft/weft.sock": the twin, then the default.
      Matcher twin = Pattern.compile("^\\$(WEFT_[A-Z_]+) or (.*)$").matcher(defaults.get(flag));
      String helpTwin = twin.matches() ? twin.group(1) : "";
      String helpDefault = twin.matches() ? twin.group(2) : defaults.get(flag);
      assertEquals(helpTwin, row.getValue().get(1), "--" + flag + " twin");
      assertEquals(words(helpDefault), words(row.getValue().get(2)), "--" + flag + " default");
    }
  }

  @Test
  void theReadmeLinksOnlyToFilesInTheRepository() {
    String readme = Repo.read(Repo.root().resolve("README.md"));
    Matcher link = Pattern.compile("\\]\\(([^)\\s]+)\\)|<(https?://[^>]+)>|(https?://\\S+)").matcher(readme);
    int found = 0;
    while (link.find()) {
      String target = link.group(1);
      assertTrue(target != null && !target.matches("^[a-z]+:.*"), "README links outside the repository: " + link.group());
      Path file = Repo.root().resolve(target.replaceAll("#.*$", ""));
      assertTrue(Files.exists(file), "README links to " + target + ", which is not in the repository");
      found++;
    }
    assertTrue(found >= 5, "README's documentation links were not found");
  }
}
