package io.weft.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * GET on an agent's local API (HTTP/1.1 over its unix socket, e.g. {@code /v1/status}). A unix
 * socket is a file, so the harness reaches every node's agent without entering its namespace and
 * without paying for a meshctl JVM in polling loops; the meshctl tests use the real meshctl.
 */
public final class AgentApi {
  private AgentApi() {}

  /** The body of a 2xx answer to {@code GET path}, or empty when the agent does not answer. */
  public static Optional<String> get(Path socket, String path) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      String request = "GET " + path + " HTTP/1.1\r\nHost: weft\r\nUser-Agent: weft-lab\r\n"
          + "Accept: application/json\r\nConnection: close\r\n\r\n";
      ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
      while (out.hasRemaining()) {
        channel.write(out);
      }
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(16384);
      // Connection: close, so the answer ends where the stream does.
      while (channel.read(in) >= 0) {
        in.flip();
        raw.write(in.array(), 0, in.limit());
        in.clear();
      }
      return parse(raw.toString(StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static Optional<String> parse(String response) {
    int headerEnd = response.indexOf("\r\n\r\n");
    if (headerEnd < 0 || !response.startsWith("HTTP/1.")) {
      return Optional.empty();
    }
    String[] statusLine = response.substring(0, response.indexOf("\r\n")).split(" ");
    if (statusLine.length < 2 || !statusLine[1].startsWith("2")) {
      return Optional.empty();
    }
    String headers = response.substring(0, headerEnd).toLowerCase(Locale.ROOT);
    String body = response.substring(headerEnd + 4);
    if (headers.contains("transfer-encoding: chunked")) {
      body = unchunk(body);
    }
    return Optional.of(new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
  }

  private static String unchunk(String body) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < body.length()) {
      int lineEnd = body.indexOf("\r\n", at);
      if (lineEnd < 0) {
        break;
      }
      String sizeText = body.substring(at, lineEnd).split(";")[0].strip();
      int size = Integer.parseInt(sizeText, 16);
      if (size == 0) {
        break;
      }
      out.append(body, lineEnd + 2, Math.min(body.length(), lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    return out.toString();
  }
}
