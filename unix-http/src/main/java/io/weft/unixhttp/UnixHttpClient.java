package io.weft.unixhttp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Timer;
import java.util.TimerTask;

/**
 * A minimal HTTP/1.1 client over the agent's unix socket ({@code Connection: close}; Content-Length,
 * chunked, or read to end). java.base only: meshctl starts fast with it, and the lab, whose runtime has no
 * Weft agent jars, reaches every node's agent through its socket file without entering its namespace.
 *
 * @param socket        the agent's API socket
 * @param timeoutMillis how long one exchange may take, connect to last byte
 * @param userAgent     who is asking ({@code meshctl}, {@code weft-lab}), for the agent's log
 */
public record UnixHttpClient(Path socket, long timeoutMillis, String userAgent) {

  /** The agent answered. */
  public record Response(int status, String body) {}

  /** The agent could not be reached or did not answer (meshctl exits 3). */
  public static final class UnreachableException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public Response get(String pathAndQuery) throws UnreachableException {
    return exchange("GET", pathAndQuery, new byte[0]);
  }

  public Response post(String pathAndQuery) throws UnreachableException {
    return exchange("POST", pathAndQuery, new byte[0]);
  }

  public Response post(String pathAndQuery, byte[] body) throws UnreachableException {
    return exchange("POST", pathAndQuery, body);
  }

  private Response exchange(String method, String target, byte[] body) throws UnreachableException {
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new UnreachableException("cannot open a unix socket: " + e.getMessage(), e);
    }
    // Unix socket channels have no read timeout; a timer closes the channel if the agent hangs.
    Timer watchdog = new Timer(userAgent + "-timeout", true);
    watchdog.schedule(new TimerTask() {
      @Override
      public void run() {
        try {
          ch.close();
        } catch (IOException ignored) {
          // closing only to unblock the read
        }
      }
    }, timeoutMillis);
    try (ch) {
      try {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw new UnreachableException("cannot reach the agent at " + socket + ": " + describe(e)
            + " (is weft-agent running? is this the right --socket? are you root?)", e);
      }
      String request = method + " " + target + " HTTP/1.1\r\nHost: weft\r\nUser-Agent: " + userAgent + "\r\n"
          + "Accept: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
      ByteBuffer[] out = {ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)), ByteBuffer.wrap(body)};
      while (out[0].hasRemaining() || out[1].hasRemaining()) {
        ch.write(out);
      }
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(16384);
      while (true) {
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
          break;
        }
        raw.write(buf.array(), 0, n);
        Response complete = parse(raw.toByteArray(), false);
        if (complete != null) {
          return complete;
        }
      }
      Response r = parse(raw.toByteArray(), true);
      if (r == null) {
        throw new UnreachableException("the agent at " + socket + " closed the connection without an answer", null);
      }
      return r;
    } catch (UnreachableException e) {
      throw e;
    } catch (IOException e) {
      throw new UnreachableException("the agent at " + socket + " did not answer within " + timeoutMillis
          + " ms: " + describe(e), e);
    } finally {
      watchdog.cancel();
    }
  }

  /** The response when complete (or, at end of stream, whatever arrived); null when more is needed. */
  public static Response parse(byte[] raw, boolean atEnd) {
    int headerEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    if (headerEnd < 0) {
      return null;
    }
    String head = new String(raw, 0, headerEnd, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
      return atEnd ? new Response(502, "{\"error\":\"not an HTTP answer from the agent\"}") : null;
    }
    int status = Integer.parseInt(statusLine[1].trim());
    long contentLength = -1;
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      if (name.equals("content-length")) {
        contentLength = Long.parseLong(value);
      } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
        chunked = true;
      }
    }
    int bodyStart = headerEnd + 4;
    int available = raw.length - bodyStart;
    if (chunked) {
      String body = dechunk(raw, bodyStart);
      return body != null ? new Response(status, body) : atEnd ? new Response(status, "") : null;
    }
    if (contentLength >= 0) {
      if (available < contentLength) {
        return null;
      }
      return new Response(status, new String(raw, bodyStart, (int) contentLength, StandardCharsets.UTF_8));
    }
    return atEnd ? new Response(status, new String(raw, bodyStart, available, StandardCharsets.UTF_8)) : null;
  }

  /** The body of a chunked message, or null when the last chunk has not arrived. */
  private static String dechunk(byte[] raw, int pos) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      int lineEnd = indexOf(raw, pos, "\r\n".getBytes(StandardCharsets.US_ASCII));
      if (lineEnd < 0) {
        return null;
      }
      String sizeText = new String(raw, pos, lineEnd - pos, StandardCharsets.US_ASCII);
      int semi = sizeText.indexOf(';');
      int size = Integer.parseInt((semi >= 0 ? sizeText.substring(0, semi) : sizeText).trim(), 16);
      pos = lineEnd + 2;
      if (size == 0) {
        return body.toString(StandardCharsets.UTF_8);
      }
      if (raw.length < pos + size + 2) {
        return null;
      }
      body.write(raw, pos, size);
      pos += size + 2;
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    return indexOf(hay, 0, needle);
  }

  private static int indexOf(byte[] hay, int from, byte[] needle) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
