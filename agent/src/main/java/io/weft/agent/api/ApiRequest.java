package io.weft.agent.api;

import java.util.Map;

/** A request to the local API: method, path (without query), decoded query parameters and body. */
public record ApiRequest(String method, String path, Map<String, String> query, byte[] body) {
  public ApiRequest {
    query = Map.copyOf(query);
    body = body == null ? new byte[0] : body;
  }
}
