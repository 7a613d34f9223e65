package io.weft.meshctl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * meshctl's command line, parsed by hand so the CLI loads nothing but the JDK and Jackson: the command
 * words, {@code -o json|table}, {@code --socket PATH}, {@code --timeout SECONDS}, {@code -h}, {@code --version}.
 *
 * @param words   the command words ({@code status peers}, {@code forget node-b}, {@code doctor})
 * @param json    {@code -o json}
 * @param socket  the agent's API socket
 * @param timeoutMillis how long to wait for the agent
 * @param help    {@code -h/--help}
 * @param version {@code --version}
 */
record MeshctlArgs(List<String> words, boolean json, Path socket, long timeoutMillis, boolean help, boolean version) {

  static final Path DEFAULT_SOCKET = Path.of("/run/weft/weft.sock");

  /** @throws IllegalArgumentException with a one-line usage error */
  static MeshctlArgs parse(String[] args, String envSocket) {
    List<String> words = new ArrayList<>();
    boolean json = false;
    Path socket = envSocket == null || envSocket.isEmpty() ? DEFAULT_SOCKET : Path.of(envSocket);
    long timeout = 5000;
    boolean help = false;
    boolean version = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String inlineValue = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        inlineValue = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "-o", "--output" -> {
          String v = inlineValue != null ? inlineValue : value(args, ++i, a);
          json = switch (v) {
            case "json" -> true;
            case "table", "wide" -> false;
            default -> throw new IllegalArgumentException("unknown output format '" + v + "' (use -o json or -o table)");
          };
        }
        case "-ojson" -> json = true;
        case "--socket" -> socket = Path.of(inlineValue != null ? inlineValue : value(args, ++i, a));
        case "--timeout" -> {
          String v = inlineValue != null ? inlineValue : value(args, ++i, a);
          try {
            timeout = Math.round(Double.parseDouble(v) * 1000);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--timeout " + v + ": not a number of seconds");
          }
        }
        case "-h", "--help", "help" -> help = true;
        case "--version" -> version = true;
        default -> {
          if (a.startsWith("-")) {
            throw new IllegalArgumentException("unknown option " + args[i]);
          }
          words.add(a);
        }
      }
    }
    return new MeshctlArgs(List.copyOf(words), json, socket, timeout, help, version);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }
}
