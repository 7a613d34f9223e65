package io.weft.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} (Prometheus text), {@code /healthz} (the agent is alive) and {@code /readyz} (joined
 * and converged once) on {@code --metrics-address}, served by the JDK's HTTP server on one thread.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * @param health   empty when alive, else why not (503 with the reason)
   * @param ready    empty when ready, else why not
   */
  public MetricsServer(InetSocketAddress address, AgentMetrics metrics, Supplier<Optional<String>> health,
      Supplier<Optional<String>> ready) throws IOException {
    server = HttpServer.create(address, 16);
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "weft-metrics");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", ex -> handle(ex, () -> {
      ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
      metrics.write(body);
      send(ex, 200, metrics.contentType(), body.toByteArray());
    }));
    server.createContext("/healthz", ex -> handle(ex, () -> probe(ex, health.get())));
    server.createContext("/readyz", ex -> handle(ex, () -> probe(ex, ready.get())));
  }

  public void start() {
    server.start();
    log.info("metrics and health on http://{}:{}/metrics", server.getAddress().getHostString(), port());
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private interface Action {
    void run() throws IOException;
  }

  private static void handle(HttpExchange ex, Action action) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
        send(ex, 405, "text/plain; charset=utf-8", "use GET\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      action.run();
    } catch (IOException | RuntimeException e) {
      log.debug("metrics request {} failed: {}", ex.getRequestURI(), e.toString());
    }
  }

  private static void probe(HttpExchange ex, Optional<String> problem) throws IOException {
    byte[] body = (problem.orElse("ok") + "\n").getBytes(StandardCharsets.UTF_8);
    send(ex, problem.isPresent() ? 503 : 200, "text/plain; charset=utf-8", body);
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
