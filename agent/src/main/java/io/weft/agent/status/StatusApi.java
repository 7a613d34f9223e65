package io.weft.agent.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.agent.api.ApiHandler;
import io.weft.agent.api.ApiRequest;
import io.weft.agent.api.ApiResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The status endpoints of the local API: {@code GET /v1/status}, {@code /v1/peers}, {@code /v1/routes},
 * and {@code POST /v1/forget?node=NAME}. Mounted on the API server by the agent ({@code /v1/ipam} is the
 * CNI endpoint's).
 */
public final class StatusApi {

  /** Removes a node for good, mesh-wide (the mesh's {@code forget}) and re-plans the routes. */
  @FunctionalInterface
  public interface Forgetter {
    /** @return false when no such peer is known */
    boolean forget(String node);
  }

  private final StatusService status;
  private final Forgetter forgetter;
  private final String selfName;
  private final ObjectMapper json = new ObjectMapper();

  /** @param selfName this node's name (it cannot forget itself) */
  public StatusApi(StatusService status, Forgetter forgetter, String selfName) {
    this.status = status;
    this.forgetter = forgetter;
    this.selfName = selfName;
  }

  /** {@code "GET /v1/status"} → handler, for mounting. */
  public Map<String, ApiHandler> handlers() {
    Map<String, ApiHandler> h = new LinkedHashMap<>();
    h.put("GET /v1/status", req -> ok(status.status()));
    h.put("GET /v1/peers", req -> ok(status.peers()));
    h.put("GET /v1/routes", req -> ok(status.routes()));
    h.put("POST /v1/forget", this::forget);
    return h;
  }

  private ApiResponse forget(ApiRequest req) throws JsonProcessingException {
    String node = req.query().get("node");
    if (node == null || node.isBlank()) {
      return error(400, "missing query parameter node (POST /v1/forget?node=NAME)");
    }
    if (node.equals(selfName)) {
      return error(400, "cannot forget this node itself (" + node + "); run `weft-agent cleanup` on it instead");
    }
    if (!forgetter.forget(node)) {
      return error(404, "no peer named " + node + " (see meshctl status peers)");
    }
    return ok(Map.of("forgotten", node));
  }

  private ApiResponse ok(Object body) throws JsonProcessingException {
    return ApiResponse.json(200, json.writeValueAsString(body));
  }

  private ApiResponse error(int code, String message) throws JsonProcessingException {
    return ApiResponse.json(code, json.writeValueAsString(Map.of("error", message)));
  }
}
