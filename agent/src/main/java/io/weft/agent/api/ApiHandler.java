package io.weft.agent.api;

/**
 * One endpoint of the agent's local API (HTTP/1.1 over the unix socket {@code --api-socket}).
 *
 * <p>Contract: called on an API worker thread, never on the convergence thread; may block briefly
 * (the CNI endpoint waits for its netlink work), must not throw for bad input — a bad request is an
 * {@link ApiResponse} with a 4xx status and a JSON body that says what was wrong.
 */
@FunctionalInterface
public interface ApiHandler {
  ApiResponse handle(ApiRequest request) throws Exception;
}
