package io.weft.agent.api;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A response of the local API; {@code headers} are extra ones beyond the content type and length. */
public record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
  public ApiResponse {
    headers = Map.copyOf(headers);
  }

  public static ApiResponse json(int status, String json) {
    return new ApiResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of());
  }
}
