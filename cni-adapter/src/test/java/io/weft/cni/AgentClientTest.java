package io.weft.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentClientTest {
  @TempDir Path dir;

  @Test
  void postsOverAUnixSocketAndReadsTheReply() throws Exception {
    Path socket = dir.resolve("a.sock");
    AtomicReference<String> seen = new AtomicReference<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread t = new Thread(() -> {
        try (SocketChannel c = server.accept()) {
          ByteBuffer b = ByteBuffer.allocate(4096);
          StringBuilder in = new StringBuilder();
          while (!in.toString().contains("{\"x\":1}")) {
            b.clear();
            if (c.read(b) < 0) {
              break;
            }
            in.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
          }
          seen.set(in.toString());
          c.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"ok\":1}"
              .getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      AgentClient.Response r = new AgentClient(5000).post(socket, "/v1/cni", "{\"x\":1}");
      t.join();
      assertEquals(200, r.status());
      assertEquals("{\"ok\":1", r.body());
      assertTrue(seen.get().startsWith("POST /v1/cni HTTP/1.1\r\n"), seen.get());
      assertTrue(seen.get().contains("Content-Length: 7\r\n"), seen.get());
    }
  }

  @Test
  void aMissingSocketIsAnIoException() {
    assertThrows(IOException.class, () -> new AgentClient(1000).post(dir.resolve("none.sock"), "/", "{}"));
  }

  @Test
  void timesOut() throws Exception {
    Path socket = dir.resolve("slow.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      IOException e = assertThrows(IOException.class, () -> new AgentClient(200).post(socket, "/", "{}"));
      assertEquals("no reply within 200 ms", e.getMessage());
    }
  }

  @Test
  void parsesOrRefusesReplies() throws IOException {
    assertEquals(new AgentClient.Response(404, "{}"),
        AgentClient.parse("HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}".getBytes(StandardCharsets.UTF_8)));
    assertEquals(new AgentClient.Response(200, "abc"),
        AgentClient.parse("HTTP/1.1 200 OK\r\n\r\nabc".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IOException.class, () -> AgentClient.parse("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IOException.class, () -> AgentClient.parse("SSH-2.0\r\n\r\n".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IOException.class,
        () -> AgentClient.parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IOException.class,
        () -> AgentClient.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc".getBytes(StandardCharsets.UTF_8)));
  }
}
