package io.weft.meshctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.unixhttp.UnixHttpClient;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code meshctl}: asks the local agent over its unix socket and prints tables (or {@code -o json}).
 * Loads only the JDK and Jackson, so it starts fast: no picocli, no logging, no Weft core classes.
 *
 * <p>Exit codes: 0 healthy and converged (or the command succeeded), 1 degraded (or the command
 * failed), 2 usage error, 3 agent unreachable.
 */
public final class Meshctl {
  static final int OK = 0;
  static final int DEGRADED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;

  static final String HELP = """
      meshctl - inspect and operate the Weft mesh through the local weft-agent

      Usage:
        meshctl status            this node, mesh size, subnet, converged or not, problems
        meshctl status peers      one row per peer: NAME NODE-IP SUBNET STATE ROUTE LAST-SEEN
        meshctl status routes     desired routes against the kernel: installed, missing, foreign, stale
        meshctl status ipam       this node's pod addresses: allocations, unknown owners, reconcile releases
        meshctl forget NODE       remove a node that will not come back (routes and lease, mesh-wide)
        meshctl doctor            check this node's requirements, each with a fix

      Options:
        -o, --output json|table   output format (default: table)
        --socket PATH             the agent's API socket (default: $WEFT_API_SOCKET or /run/weft/weft.sock)
        --timeout SECONDS         how long to wait for the agent (default: 5)
        -h, --help                this help
        --version                 print the version

      Examples:
        meshctl status                        # exit 0 when healthy and converged
        meshctl status peers -o json | jq '.peers[] | select(.route != "installed")'
        meshctl --socket /tmp/n1/weft.sock status routes
        meshctl forget node-c                 # node-c was decommissioned
        meshctl doctor                        # before joining a new node

      Exit codes: 0 healthy/ok, 1 degraded/failed, 2 usage error, 3 agent unreachable.
      """;

  private final PrintStream out;
  private final PrintStream err;
  private final long nowMillis;
  private final Path procSys;

  Meshctl(PrintStream out, PrintStream err, long nowMillis, Path procSys) {
    this.out = out;
    this.err = err;
    this.nowMillis = nowMillis;
    this.procSys = procSys;
  }

  public static void main(String[] args) {
    int code = new Meshctl(System.out, System.err, System.currentTimeMillis(), Path.of("/proc/sys"))
        .run(args, System.getenv("WEFT_API_SOCKET"));
    System.out.flush();
    System.exit(code);
  }

  int run(String[] argv, String envSocket) {
    MeshctlArgs args;
    try {
      args = MeshctlArgs.parse(argv, envSocket);
    } catch (IllegalArgumentException e) {
      err.println("meshctl: " + e.getMessage() + " (see meshctl --help)");
      return USAGE;
    }
    if (args.version()) {
      String v = Meshctl.class.getPackage().getImplementationVersion();
      out.println("meshctl " + (v == null ? "dev" : v));
      return OK;
    }
    if (args.help() || args.words().isEmpty()) {
      (args.help() ? out : err).print(HELP);
      return args.help() ? OK : USAGE;
    }
    UnixHttpClient client = new UnixHttpClient(args.socket(), args.timeoutMillis(), "meshctl");
    List<String> w = args.words();
    try {
      return switch (w.get(0)) {
        case "status" -> w.size() == 1 ? status(client, args.json())
            : w.size() == 2 ? switch (w.get(1)) {
              case "peers" -> show(client, "/v1/peers", args.json(), n -> Render.peers(n.path("peers"), nowMillis));
              case "routes" -> show(client, "/v1/routes", args.json(), Render::routes);
              case "ipam" -> show(client, "/v1/ipam", args.json(), Render::ipam);
              default -> usage("unknown status view '" + w.get(1) + "' (use peers, routes or ipam)");
            }
            : usage("too many words after status");
        case "forget" -> w.size() == 2 ? forget(client, w.get(1), args.json()) : usage("use: meshctl forget NODE");
        case "doctor" -> w.size() == 1 ? doctor(client, args.json()) : usage("doctor takes no arguments");
        case "version" -> {
          String v = Meshctl.class.getPackage().getImplementationVersion();
          out.println("meshctl " + (v == null ? "dev" : v));
          yield OK;
        }
        default -> usage("unknown command '" + w.get(0) + "'");
      };
    } catch (UnixHttpClient.UnreachableException e) {
      if (args.json()) {
        out.println(JsonTrees.pretty(JsonTrees.object().put("error", e.getMessage())));
      }
      err.println("meshctl: " + e.getMessage());
      return UNREACHABLE;
    } catch (JsonProcessingException e) {
      err.println("meshctl: the agent's answer is not the JSON expected: " + e.getOriginalMessage());
      return DEGRADED;
    }
  }

  private int usage(String message) {
    err.println("meshctl: " + message + " (see meshctl --help)");
    return USAGE;
  }

  private int status(UnixHttpClient client, boolean asJson) throws UnixHttpClient.UnreachableException, JsonProcessingException {
    JsonNode s = fetch(client, "/v1/status");
    if (s == null) {
      return DEGRADED;
    }
    out.print(asJson ? JsonTrees.pretty(s) + "\n" : Render.status(s, nowMillis));
    return s.path("converged").asBoolean() && s.path("healthy").asBoolean() ? OK : DEGRADED;
  }

  private interface View {
    String render(JsonNode n);
  }

  private int show(UnixHttpClient client, String path, boolean asJson, View view)
      throws UnixHttpClient.UnreachableException, JsonProcessingException {
    JsonNode n = fetch(client, path);
    if (n == null) {
      return DEGRADED;
    }
    out.print(asJson ? JsonTrees.pretty(n) + "\n" : view.render(n));
    return OK;
  }

  private int forget(UnixHttpClient client, String node, boolean asJson)
      throws UnixHttpClient.UnreachableException, JsonProcessingException {
    UnixHttpClient.Response r = client.post("/v1/forget?node=" + URLEncoder.encode(node, StandardCharsets.UTF_8));
    JsonNode body = parse(r.body());
    if (r.status() != 200) {
      err.println("meshctl: forget " + node + ": " + errorText(r, body));
      if (asJson) {
        out.println(JsonTrees.pretty(body));
      }
      return DEGRADED;
    }
    out.print(asJson ? JsonTrees.pretty(body) + "\n"
        : "forgot " + node + ": its routes and subnet lease are removed mesh-wide\n");
    return OK;
  }

  private int doctor(UnixHttpClient client, boolean asJson) throws JsonProcessingException {
    JsonNode status = null;
    String agentError = "";
    try {
      UnixHttpClient.Response r = client.get("/v1/status");
      if (r.status() == 200) {
        status = parse(r.body());
      } else {
        agentError = "the agent answered HTTP " + r.status();
      }
    } catch (UnixHttpClient.UnreachableException e) {
      agentError = e.getMessage();
    }
    List<Doctor.Check> checks = Doctor.evaluate(Doctor.gather(status, agentError, procSys));
    if (asJson) {
      ObjectNode root = JsonTrees.object();
      ArrayNode list = root.putArray("checks");
      for (Doctor.Check c : checks) {
        list.addObject().put("name", c.name()).put("result", c.result().name()).put("detail", c.detail()).put("fix", c.fix());
      }
      out.println(JsonTrees.pretty(root));
    } else {
      out.print(renderChecks(checks));
    }
    return checks.stream().anyMatch(c -> c.result() == Doctor.Result.FAIL) ? DEGRADED : OK;
  }

  static String renderChecks(List<Doctor.Check> checks) {
    Table t = new Table("CHECK", "RESULT", "DETAIL");
    checks.forEach(c -> t.row(c.name(), c.result().name(), c.detail()));
    StringBuilder b = new StringBuilder(t.render());
    List<Doctor.Check> toFix = checks.stream().filter(c -> c.result() != Doctor.Result.PASS).toList();
    if (!toFix.isEmpty()) {
      b.append("\nFixes:\n");
      toFix.forEach(c -> b.append("  ").append(c.name()).append(": ").append(c.fix()).append('\n'));
    }
    return b.toString();
  }

  /** The parsed body of a 200 answer; otherwise prints the agent's error and returns null. */
  private JsonNode fetch(UnixHttpClient client, String path) throws UnixHttpClient.UnreachableException, JsonProcessingException {
    UnixHttpClient.Response r = client.get(path);
    JsonNode body = parse(r.body());
    if (r.status() != 200) {
      err.println("meshctl: GET " + path + ": " + errorText(r, body));
      return null;
    }
    return body;
  }

  private JsonNode parse(String body) throws JsonProcessingException {
    return JsonTrees.parse(body);
  }

  private static String errorText(UnixHttpClient.Response r, JsonNode body) {
    String e = Render.text(body, "error");
    return e.isEmpty() ? "the agent answered HTTP " + r.status() : e;
  }
}
