package io.weft.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.unixhttp.UnixHttpClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiServerTest {
  @TempDir Path dir;

  private ApiServer.Builder server(Path socket) {
    return ApiServer.on(socket)
        .route("GET", "/v1/status", r -> ApiResponse.json(200, "{\"ok\":true,\"q\":\"" + r.query().getOrDefault("o", "") + "\"}"))
        .route("POST", "/v1/echo", r -> new ApiResponse(200, "application/json", r.body(), Map.of()))
        .route("GET", "/v1/boom", r -> {
          throw new IllegalStateException("kaput");
        });
  }

  @Test
  void servesRoutesOverTheSocket() throws Exception {
    Path socket = dir.resolve("run/weft/weft.sock");
    try (ApiServer s = server(socket).start()) {
      String reply = UnixHttp.get(socket, "/v1/status?o=json");
      assertTrue(reply.startsWith("HTTP/1.1 200 OK\r\n"), reply);
      assertTrue(reply.endsWith("{\"ok\":true,\"q\":\"json\"}"), reply);
      UnixHttpClient.Response echo = new UnixHttpClient(socket, 5000, "weft-test").post("/v1/echo", "{\"x\":\"é\"}".getBytes(StandardCharsets.UTF_8));
      assertEquals(new UnixHttpClient.Response(200, "{\"x\":\"é\"}"), echo);
    }
  }

  @Test
  void socketIs0600InA0755DirectoryAndGoesAwayOnClose() throws Exception {
    Path socket = dir.resolve("run/weft/weft.sock");
    try (ApiServer s = server(socket).start()) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
      assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
      try (var files = Files.list(socket.getParent())) {
        assertEquals(1, files.count(), "no temporary socket left behind");
      }
    }
    assertFalse(Files.exists(socket));
  }

  @Test
  void errorsAreJson() throws Exception {
    Path socket = dir.resolve("e.sock");
    try (ApiServer s = server(socket).start()) {
      String notFound = UnixHttp.get(socket, "/v1/nope");
      assertTrue(notFound.startsWith("HTTP/1.1 404 "), notFound);
      assertTrue(notFound.endsWith("{\"error\":\"no such endpoint: GET /v1/nope\"}"), notFound);

      String wrongMethod = UnixHttp.exchange(socket, "DELETE /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertTrue(wrongMethod.startsWith("HTTP/1.1 405 "), wrongMethod);
      assertTrue(wrongMethod.contains("allow: GET\r\n"), wrongMethod);
      assertTrue(wrongMethod.contains("{\"error\":\"method DELETE not allowed on /v1/status (allowed: GET)\"}"), wrongMethod);

      String bad = UnixHttp.exchange(socket, "THIS IS NOT HTTP\r\n\r\n");
      assertTrue(bad.startsWith("HTTP/1.1 400 "), bad);
      assertTrue(bad.contains("{\"error\":\"malformed HTTP request"), bad);

      String failed = UnixHttp.get(socket, "/v1/boom");
      assertTrue(failed.startsWith("HTTP/1.1 500 "), failed);
      assertTrue(failed.contains("kaput"), failed);
    }
  }

  @Test
  void refusesBodiesOverTheLimit() throws Exception {
    Path socket = dir.resolve("l.sock");
    try (ApiServer s = server(socket).maxRequestBytes(1024).start()) {
      UnixHttpClient.Response r = new UnixHttpClient(socket, 5000, "weft-test").post("/v1/echo", "x".repeat(2000).getBytes(StandardCharsets.UTF_8));
      assertEquals(413, r.status());
      assertEquals("{\"error\":\"request body larger than 1024 bytes\"}", r.body());
      assertEquals(200, new UnixHttpClient(socket, 5000, "weft-test").post("/v1/echo", "x".repeat(1000).getBytes(StandardCharsets.UTF_8)).status());
    }
  }

  @Test
  void anOversizedContentLengthIsAnsweredAtOnceWithoutItsBody() throws Exception {
    Path socket = dir.resolve("big.sock");
    try (ApiServer s = server(socket).start()) {
      long start = System.nanoTime();
      // Only the head: a client that announces 99 GB and waits for the answer before sending them.
      String answer = UnixHttp.exchange(socket,
          "POST /v1/echo HTTP/1.1\r\nHost: weft\r\nContent-Length: 99999999999\r\n\r\n");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
      assertTrue(answer.endsWith("{\"error\":\"request body larger than " + ApiServer.DEFAULT_MAX_REQUEST_BYTES
          + " bytes\"}"), answer);
      assertTrue(ms < 1500, "answered and ended in " + ms + " ms, not after the drain limit");
      assertEquals(200, new UnixHttpClient(socket, 5000, "weft-test").post("/v1/echo", "x".getBytes(StandardCharsets.UTF_8)).status(),
          "the server still serves");

      String expecting = UnixHttp.exchange(socket, "POST /v1/echo HTTP/1.1\r\nHost: weft\r\nExpect: 100-continue\r\n"
          + "Content-Length: 99999999999\r\nConnection: close\r\n\r\n");
      assertTrue(expecting.startsWith("HTTP/1.1 413 "), expecting);
      assertTrue(expecting.endsWith("{\"error\":\"request body larger than " + ApiServer.DEFAULT_MAX_REQUEST_BYTES
          + " bytes\"}"), expecting);
    }
  }

  @Test
  void handlersRunOffTheIoThreadSoASlowOneBlocksNoOther() throws Exception {
    Path socket = dir.resolve("s.sock");
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<String> thread = new AtomicReference<>();
    try (ApiServer s = ApiServer.on(socket)
        .route("GET", "/slow", r -> {
          thread.set(Thread.currentThread().getName());
          release.await(10, TimeUnit.SECONDS);
          return ApiResponse.json(200, "{}");
        })
        .route("GET", "/fast", r -> ApiResponse.json(200, "{\"fast\":1}"))
        .start()) {
      CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
        try {
          return UnixHttp.get(socket, "/slow");
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      assertTrue(UnixHttp.get(socket, "/fast").endsWith("{\"fast\":1}"));
      release.countDown();
      assertTrue(slow.get(10, TimeUnit.SECONDS).startsWith("HTTP/1.1 200"));
      assertTrue(thread.get().startsWith("weft-api-"), thread.get());
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredOneAtATimeInOrder() throws Exception {
    Path socket = dir.resolve("p.sock");
    List<String> events = new CopyOnWriteArrayList<>();
    CountDownLatch fastRan = new CountDownLatch(1);
    try (ApiServer s = ApiServer.on(socket).workers(4)
        .route("GET", "/slow", r -> {
          events.add("slow-start");
          // Waits briefly for /fast: it must not come, since /fast is dispatched only after this answer.
          boolean overtaken = fastRan.await(300, TimeUnit.MILLISECONDS);
          events.add(overtaken ? "slow-overtaken" : "slow-end");
          return ApiResponse.json(200, "{\"n\":\"slow\"}");
        })
        .route("GET", "/fast", r -> {
          events.add("fast");
          fastRan.countDown();
          return ApiResponse.json(200, "{\"n\":\"fast\"}");
        })
        .start()) {
      String replies = UnixHttp.exchange(socket, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertEquals(List.of("slow-start", "slow-end", "fast"), events);
      assertTrue(replies.indexOf("{\"n\":\"slow\"}") < replies.indexOf("{\"n\":\"fast\"}"), replies);
      assertTrue(replies.indexOf("{\"n\":\"fast\"}") > 0, replies);
    }
  }

  @Test
  void replacesAStaleSocketButNotALiveOne() throws Exception {
    Path socket = dir.resolve("stale.sock");
    try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      old.bind(UnixDomainSocketAddress.of(socket));
    }
    assertTrue(Files.exists(socket), "a closed server leaves its socket file, like a crashed agent");
    try (ApiServer s = server(socket).start()) {
      assertTrue(UnixHttp.get(socket, "/v1/status").startsWith("HTTP/1.1 200"));
      IOException e = assertThrows(IOException.class, () -> server(socket).start());
      assertTrue(e.getMessage().contains("another process is serving it"), e.getMessage());
      assertTrue(UnixHttp.get(socket, "/v1/status").startsWith("HTTP/1.1 200"), "the live server is untouched");
    }
  }

  @Test
  void refusesToReplaceSomethingThatIsNotASocket() throws Exception {
    Path file = dir.resolve("file.sock");
    Files.writeString(file, "precious", StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class, () -> server(file).start());
    assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
    assertEquals("precious", Files.readString(file));
  }

  @Test
  void refusesDuplicateRoutes() {
    assertThrows(IllegalArgumentException.class, () -> ApiServer.on(dir.resolve("d.sock"))
        .route("GET", "/a", r -> null).route("GET", "/a", r -> null));
  }
}
