package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.unixhttp.UnixHttpClient;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentApiTest {
  @Test
  void onlyASuccessIsAnAnswer() {
    assertEquals(Optional.of("{\"a\":true}"), AgentApi.bodyOf(new UnixHttpClient.Response(200, "{\"a\":true}")));
    assertTrue(AgentApi.bodyOf(new UnixHttpClient.Response(503, "{}")).isEmpty());
  }

  @Test
  void noAgentIsNoAnswer() {
    assertTrue(AgentApi.get(Path.of("/nonexistent/weft.sock"), "/v1/status").isEmpty());
  }
}
