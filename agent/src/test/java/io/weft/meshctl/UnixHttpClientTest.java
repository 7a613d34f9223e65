package io.weft.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UnixHttpClientTest {
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
  }
}
