/*
 * libFuzzer target for the forwarder's input handling: every function that reads bytes from outside
 * (the network config on stdin, the agent's answer) gets the fuzzer's input, and whatever they produce is
 * checked to be what the forwarder may write.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../main/c/forward.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  struct weft_config config;
  weft_scan_config(text, size, &config);
  if (strlen(config.api_socket) > WEFT_MAX_SOCKET_PATH || strlen(config.cni_version) >= sizeof config.cni_version) {
    abort();
  }
  const char *version = weft_answer_version(&config);

  struct weft_buf out = {0};
  weft_error_json(&out, version, 11, "fuzz", text, size);
  weft_version_json(&out, version);
  const char *values[WEFT_ENV_COUNT] = {"ADD", "c1", "/var/run/netns/x", "eth0", config.api_socket, NULL};
  weft_build_request(&out, values, text, size);
  weft_buf_free(&out);

  struct weft_answer answer;
  if (weft_parse_answer(text, size, &answer) == 0) {
    if (answer.body < text || answer.body + answer.body_len > text + size || answer.exit_code > 255) {
      abort();
    }
  }
  return 0;
}
