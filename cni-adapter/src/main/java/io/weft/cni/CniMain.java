package io.weft.cni;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Entry point of the {@code weft} CNI plugin: environment and stdin in, result or error JSON on stdout, exit
 * status 0 or 1. Everything but VERSION is forwarded to the node's agent over its API socket.
 */
public final class CniMain {
  /** Longer than any ADD the agent does, shorter than the runtime's own request timeout. */
  private static final long AGENT_TIMEOUT_MILLIS = 60_000;

  private CniMain() {}

  public static void main(String[] args) {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
        StandardCharsets.UTF_8);
    String stdin;
    try {
      stdin = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      CniError error = new CniError(CniError.IO_FAILURE, "error reading network config from stdin", e.getMessage());
      out.print(Json.write(error.toJson(CniVersion.LATEST)));
      out.flush();
      System.exit(1);
      return;
    }
    AgentClient client = new AgentClient(AGENT_TIMEOUT_MILLIS);
    CniPlugin.Outcome outcome = new CniPlugin(new CniPlugin.Agent() {
      @Override
      public AgentClient.Response post(java.nio.file.Path socket, String path, String body) throws IOException {
        return client.post(socket, path, body);
      }
    }).run(System.getenv(), stdin);
    if (!outcome.stdout().isEmpty()) {
      out.print(outcome.stdout());
      out.print('\n');
    }
    out.flush();
    System.exit(outcome.exitCode());
  }
}
