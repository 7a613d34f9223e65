package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentApiTest {
  @Test
  void readsAContentLengthBody() {
    String answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":true}\n";
    assertEquals(Optional.of("{\"a\":true}\n"), AgentApi.parse(answer));
  }

  @Test
  void joinsChunks() {
    String answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n6\r\n:true}\r\n0\r\n\r\n";
    assertEquals(Optional.of("{\"a\":true}"), AgentApi.parse(answer));
  }

  @Test
  void errorsAndGarbageAreNoAnswer() {
    assertTrue(AgentApi.parse("HTTP/1.1 503 Service Unavailable\r\n\r\n{}").isEmpty());
    assertTrue(AgentApi.parse("hello").isEmpty());
  }
}
