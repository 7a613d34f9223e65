package io.weft.unixhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixHttpClientTest {
  @TempDir
  Path tmp;

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void parsesContentLengthChunkedAndReadToEnd() {
    assertEquals(new UnixHttpClient.Response(200, "{}"),
        UnixHttpClient.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"), false));
    assertNull(UnixHttpClient.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}"), false));
    assertEquals(new UnixHttpClient.Response(404, "{\"a\":1}"),
        UnixHttpClient.parse(bytes("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n"), false));
    assertNull(UnixHttpClient.parse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n"), false));
    assertEquals(new UnixHttpClient.Response(200, "xyz"), UnixHttpClient.parse(bytes("HTTP/1.1 200 OK\r\n\r\nxyz"), true));
    assertEquals(new UnixHttpClient.Response(200, "{\"a\":true}\n"), UnixHttpClient.parse(
        bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":true}\n"), false));
  }

  @Test
  void garbageIsNoAnswer() {
    assertNull(UnixHttpClient.parse(bytes("hello"), true));
    assertEquals(502, UnixHttpClient.parse(bytes("hello\r\n\r\n"), true).status());
  }

  @Test
  void sendsTheRequestWithItsUserAgentAndReadsTheAnswer() throws Exception {
    Path socket = tmp.resolve("api.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
        try (SocketChannel c = server.accept()) {
          InputStream in = Channels.newInputStream(c);
          StringBuilder head = new StringBuilder();
          while (!head.toString().endsWith("\r\n\r\n")) {
            head.append((char) in.read());
          }
          String body = new String(in.readNBytes(2), StandardCharsets.UTF_8);
          OutputStream out = Channels.newOutputStream(c);
          out.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone"));
          out.flush();
          return head + body;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      UnixHttpClient.Response r = new UnixHttpClient(socket, 5000, "weft-test").post("/v1/x", bytes("hi"));
      assertEquals(new UnixHttpClient.Response(200, "done"), r);
      String request = seen.get();
      assertTrue(request.startsWith("POST /v1/x HTTP/1.1\r\n"), request);
      assertTrue(request.contains("User-Agent: weft-test\r\n"), request);
      assertTrue(request.contains("Content-Length: 2\r\n"), request);
      assertTrue(request.endsWith("\r\n\r\nhi"), request);
    }
  }

  @Test
  void aMissingSocketIsUnreachableNamingIt() {
    Path socket = tmp.resolve("none.sock");
    UnixHttpClient.UnreachableException e = assertThrows(UnixHttpClient.UnreachableException.class,
        () -> new UnixHttpClient(socket, 1000, "weft-test").get("/v1/status"));
    assertTrue(e.getMessage().contains(socket.toString()), e.getMessage());
  }
}
