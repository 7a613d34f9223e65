package io.weft.agent.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Test client: writes raw bytes to a unix socket and reads until the server closes. */
final class UnixHttp {
  private UnixHttp() {}

  static String exchange(Path socket, String raw) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.wrap(raw.getBytes(StandardCharsets.UTF_8));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(8192);
      while (ch.read(b) >= 0) {
        in.write(b.array(), 0, b.position());
        b.clear();
      }
      return in.toString(StandardCharsets.UTF_8);
    }
  }

  static String get(Path socket, String target) throws IOException {
    return exchange(socket, "GET " + target + " HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n\r\n");
  }
}
