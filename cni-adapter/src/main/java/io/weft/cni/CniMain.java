package io.weft.cni;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Entry point of the {@code weft} CNI plugin: environment and stdin in, result or error JSON on stdout, exit
 * status 0 or 1. Everything but VERSION is forwarded to the node's agent over its API socket.
 */
public final class CniMain {
  /** Longer than any ADD the agent does, shorter than the runtime's own request timeout. */
  static final long AGENT_TIMEOUT_MILLIS = 60_000;

  private CniMain() {}

  public static void main(String[] args) {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    int status = run(System.getenv(), System.in, out, agent(new AgentClient(AGENT_TIMEOUT_MILLIS)));
    // halt, not exit: there is nothing to run at shutdown (no hooks; run flushed stdout), and the exit path
    // of JDK 21+ looks up a System.Logger first, milliseconds of class loading on every CNI call.
    Runtime.getRuntime().halt(status);
  }

  /** The agent behind a client (an anonymous class, not a lambda: no lambda bootstrap at start-up). */
  static CniPlugin.Agent agent(AgentClient client) {
    return new CniPlugin.Agent() {
      @Override
      public AgentClient.Response post(Path socket, String path, String body) throws IOException {
        return client.post(socket, path, body);
      }
    };
  }

  /** One invocation: what {@code main} does, minus the exit. Returns the exit status. */
  static int run(Map<String, String> env, InputStream stdin, PrintStream out, CniPlugin.Agent agent) {
    String config;
    try {
      config = new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      CniError error = new CniError(CniError.IO_FAILURE, "error reading network config from stdin", e.getMessage());
      out.print(Json.write(error.toJson(CniVersion.LATEST)));
      out.flush();
      return 1;
    }
    CniPlugin.Outcome outcome = new CniPlugin(agent).run(env, config);
    if (!outcome.stdout().isEmpty()) {
      out.print(outcome.stdout());
      out.print('\n');
    }
    out.flush();
    return outcome.exitCode();
  }
}
