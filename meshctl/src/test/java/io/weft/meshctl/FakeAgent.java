package io.weft.meshctl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A canned HTTP/1.1 server on a unix socket, standing in for weft-agent's API. */
final class FakeAgent implements AutoCloseable {
  record Answer(int status, String body, boolean chunked) {}

  private final Path socket;
  private final ServerSocketChannel server;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  private final Thread thread;

  FakeAgent(Path socket) throws IOException {
    this.socket = socket;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    thread = new Thread(this::serve, "fake-agent");
    thread.setDaemon(true);
    thread.start();
  }

  FakeAgent answer(String methodAndPath, int status, String body) {
    answers.put(methodAndPath, new Answer(status, body, false));
    return this;
  }

  FakeAgent answerChunked(String methodAndPath, String body) {
    answers.put(methodAndPath, new Answer(200, body, true));
    return this;
  }

  private void serve() {
    while (server.isOpen()) {
      try (SocketChannel ch = server.accept()) {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (!in.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
          buf.clear();
          if (ch.read(buf) < 0) {
            break;
          }
          in.write(buf.array(), 0, buf.position());
        }
        String line = in.toString(StandardCharsets.ISO_8859_1).split("\r\n")[0];
        String[] parts = line.split(" ");
        requests.add(parts[0] + " " + parts[1]);
        String path = parts[1].contains("?") ? parts[1].substring(0, parts[1].indexOf('?')) : parts[1];
        Answer a = answers.getOrDefault(parts[0] + " " + path, new Answer(404, "{\"error\":\"no such endpoint\"}", false));
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + a.status() + " X\r\nContent-Type: application/json\r\n"
            + (a.chunked() ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + body.length + "\r\n")
            + "Connection: close\r\n\r\n";
        ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
        if (a.chunked()) {
          int half = body.length / 2;
          ch.write(ByteBuffer.wrap((Integer.toHexString(half) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
          ch.write(ByteBuffer.wrap(body, 0, half));
          ch.write(ByteBuffer.wrap(("\r\n" + Integer.toHexString(body.length - half) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
          ch.write(ByteBuffer.wrap(body, half, body.length - half));
          ch.write(ByteBuffer.wrap("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        } else {
          ch.write(ByteBuffer.wrap(body));
        }
      } catch (IOException e) {
        // closed: stop serving
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }
}
