package io.weft.cni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A one-shot HTTP/1.1 client over the agent's unix socket: one request, {@code Connection: close}, read to
 * the end. Plain JDK channels because the plugin may load nothing but java.base and must start fast.
 */
public final class AgentClient {
  /** A reply too big for any CNI result is a broken agent, not something to buffer. */
  static final int MAX_REPLY_BYTES = 1 << 20;

  /** An HTTP answer. */
  public record Response(int status, String body) {}

  private final long timeoutMillis;

  /** @param timeoutMillis how long to wait for the whole exchange before giving up */
  public AgentClient(long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * POSTs {@code body} (JSON) to {@code path} on the agent listening at {@code socket}.
   *
   * @throws IOException when the socket cannot be reached or the exchange breaks or times out
   */
  public Response post(Path socket, String path, String body) throws IOException {
    byte[] payload = body.getBytes(StandardCharsets.UTF_8);
    String head = "POST " + path + " HTTP/1.1\r\nHost: weft\r\nContent-Type: application/json\r\nContent-Length: "
        + payload.length + "\r\nConnection: close\r\n\r\n";
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      boolean[] timedOut = new boolean[1];
      Thread watchdog = watchdog(ch, timedOut);
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocate(headBytes.length + payload.length);
        out.put(headBytes).put(payload).flip();
        while (out.hasRemaining()) {
          ch.write(out);
        }
        ByteArrayOutputStream in = new ByteArrayOutputStream(1024);
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (ch.read(buf) >= 0) {
          buf.flip();
          in.write(buf.array(), 0, buf.limit());
          buf.clear();
          if (in.size() > MAX_REPLY_BYTES) {
            throw new IOException("reply larger than " + MAX_REPLY_BYTES + " bytes");
          }
        }
        return parse(in.toByteArray());
      } catch (IOException e) {
        synchronized (timedOut) {
          if (timedOut[0]) {
            throw new IOException("no reply within " + timeoutMillis + " ms", e);
          }
        }
        throw e;
      } finally {
        watchdog.interrupt();
      }
    }
  }

  /** Closes the channel after the timeout: a blocking unix-socket channel has no read timeout of its own. */
  private Thread watchdog(SocketChannel ch, boolean[] timedOut) {
    Thread t = new Thread(new Runnable() {
      @Override
      public void run() {
        try {
          Thread.sleep(timeoutMillis);
          synchronized (timedOut) {
            timedOut[0] = true;
          }
          ch.close();
        } catch (InterruptedException | IOException done) {
          // the exchange finished first, or the channel is closed already
        }
      }
    }, "weft-cni-timeout");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Status line, headers, then a body delimited by Content-Length or by the end of the stream. */
  static Response parse(byte[] raw) throws IOException {
    int headerEnd = -1;
    for (int i = 0; i + 3 < raw.length; i++) {
      if (raw[i] == '\r' && raw[i + 1] == '\n' && raw[i + 2] == '\r' && raw[i + 3] == '\n') {
        headerEnd = i;
        break;
      }
    }
    if (headerEnd < 0) {
      throw new IOException("incomplete HTTP reply (" + raw.length + " bytes, no end of headers)");
    }
    String head = new String(raw, 0, headerEnd, StandardCharsets.ISO_8859_1);
    // Lines by hand: String.split("\r\n") would compile a regex, which a plugin JVM pays for on every run.
    int lineEnd = head.indexOf("\r\n");
    String statusLine = lineEnd < 0 ? head : head.substring(0, lineEnd);
    String[] status = statusLine.split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP reply: '" + statusLine + "'");
    }
    int code;
    try {
      code = Integer.parseInt(status[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status: '" + statusLine + "'");
    }
    int bodyStart = headerEnd + 4;
    int bodyLength = raw.length - bodyStart;
    while (lineEnd >= 0) {
      int start = lineEnd + 2;
      lineEnd = head.indexOf("\r\n", start);
      String line = lineEnd < 0 ? head.substring(start) : head.substring(start, lineEnd);
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      if (name.equalsIgnoreCase("content-length")) {
        int declared;
        try {
          declared = Integer.parseInt(line.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
          throw new IOException("bad Content-Length: '" + line + "'");
        }
        if (declared > bodyLength) {
          throw new IOException("truncated HTTP reply: " + bodyLength + " of " + declared + " bytes");
        }
        bodyLength = declared;
      } else if (name.equalsIgnoreCase("transfer-encoding")) {
        throw new IOException("unexpected Transfer-Encoding in the agent's reply: '" + line + "'");
      }
    }
    return new Response(code, new String(raw, bodyStart, bodyLength, StandardCharsets.UTF_8));
  }
}
