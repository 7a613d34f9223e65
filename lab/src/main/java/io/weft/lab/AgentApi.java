package io.weft.lab;

import io.weft.unixhttp.UnixHttpClient;
import java.nio.file.Path;
import java.util.Optional;

/**
 * GET on an agent's local API (HTTP/1.1 over its unix socket, e.g. {@code /v1/status}). A unix
 * socket is a file, so the harness reaches every node's agent without entering its namespace and
 * without paying for a meshctl JVM in polling loops; the meshctl tests use the real meshctl.
 */
public final class AgentApi {
  /** Long enough for any answer of a loaded agent; polling loops retry on their own. */
  private static final long TIMEOUT_MILLIS = 10_000;

  private AgentApi() {}

  /** The body of a 2xx answer to {@code GET path}, or empty when the agent does not answer. */
  public static Optional<String> get(Path socket, String path) {
    try {
      return bodyOf(new UnixHttpClient(socket, TIMEOUT_MILLIS, "weft-lab").get(path));
    } catch (UnixHttpClient.UnreachableException e) {
      return Optional.empty();
    }
  }

  static Optional<String> bodyOf(UnixHttpClient.Response r) {
    return r.status() / 100 == 2 ? Optional.of(r.body()) : Optional.empty();
  }
}
