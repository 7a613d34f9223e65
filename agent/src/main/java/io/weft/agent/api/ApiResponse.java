package io.weft.agent.api;

import java.nio.charset.StandardCharsets;

/** A response of the local API. */
public record ApiResponse(int status, String contentType, byte[] body) {
  public static ApiResponse json(int status, String json) {
    return new ApiResponse(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }
}
