package io.weft.agent.cni;

import io.weft.agent.api.ApiHandler;
import io.weft.agent.api.ApiRequest;
import io.weft.agent.api.ApiResponse;
import io.weft.agent.cni.protocol.CniError;
import io.weft.agent.cni.protocol.CniPlugin;
import io.weft.agent.cni.protocol.CniVersion;
import io.weft.agent.cni.protocol.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code POST /v1/cni}: what the {@code weft} forwarder sends for every CNI call but VERSION, answered with
 * what it is to print and its exit status.
 *
 * <p>Request body: each CNI_* variable the runtime set as {@code NAME=VALUE} and a NUL byte, then one more
 * NUL, then the network config exactly as it came on stdin. (NUL cannot occur in an environment variable,
 * so the forwarder needs no encoding at all.) Answer: HTTP 200, the body is the forwarder's stdout, the
 * {@value #EXIT_HEADER} header its exit status. Any other HTTP status means the call never reached CNI
 * handling; the forwarder reports it as "try again later".
 */
public final class CniApi implements ApiHandler {
  public static final String EXIT_HEADER = "Weft-Cni-Exit";

  private final CniPlugin plugin;

  public CniApi(CniPlugin plugin) {
    this.plugin = plugin;
  }

  @Override
  public ApiResponse handle(ApiRequest request) {
    byte[] body = request.body();
    Map<String, String> env = new HashMap<>();
    int at = 0;
    while (true) {
      int nul = indexOfNul(body, at);
      if (nul < 0) {
        return answer(malformed("the variables are not NUL-terminated"));
      }
      if (nul == at) {
        at++;
        break;
      }
      String entry = new String(body, at, nul - at, StandardCharsets.UTF_8);
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        return answer(malformed("'" + entry + "' is not NAME=VALUE"));
      }
      env.put(entry.substring(0, eq), entry.substring(eq + 1));
      at = nul + 1;
    }
    String config;
    try {
      config = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body, at, body.length - at))
          .toString();
    } catch (CharacterCodingException e) {
      return answer(new CniPlugin.Outcome(1, Json.write(new CniError(CniError.DECODING_FAILURE,
          "network config is not valid UTF-8", e.toString()).toJson(CniVersion.LATEST))));
    }
    return answer(plugin.run(env, config));
  }

  private static CniPlugin.Outcome malformed(String why) {
    CniError e = new CniError(CniError.INVALID_ENVIRONMENT, "malformed request from the weft executable", why);
    return new CniPlugin.Outcome(1, Json.write(e.toJson(CniVersion.LATEST)));
  }

  private static ApiResponse answer(CniPlugin.Outcome outcome) {
    String stdout = outcome.stdout().isEmpty() ? "" : outcome.stdout() + "\n";
    return new ApiResponse(200, "application/json", stdout.getBytes(StandardCharsets.UTF_8),
        Map.of(EXIT_HEADER, Integer.toString(outcome.exitCode())));
  }

  private static int indexOfNul(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == 0) {
        return i;
      }
    }
    return -1;
  }
}
