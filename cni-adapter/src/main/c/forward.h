/*
 * The input handling of the weft CNI forwarder, free of I/O so it can be fuzzed: scanning the network
 * config for the two fields the forwarder needs, building the request to the agent, reading its answer,
 * and writing the few JSON documents the forwarder answers itself (VERSION, and errors when the agent
 * cannot answer). Every CNI decision is the agent's; this is a pipe with a VERSION reply.
 */
#ifndef WEFT_FORWARD_H
#define WEFT_FORWARD_H

#include <stddef.h>

/* The largest network config the forwarder accepts on stdin (the agent refuses larger requests too). */
#define WEFT_MAX_CONFIG (1024 * 1024)
/* The CNI_* variables together may take at most this much of the request. */
#define WEFT_MAX_ENV (64 * 1024)
/* The agent's answer may be at most this large (a result is a few hundred bytes). */
#define WEFT_MAX_ANSWER (4 * 1024 * 1024)
#define WEFT_DEFAULT_SOCKET "/run/weft/weft.sock"
/* sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
#define WEFT_MAX_SOCKET_PATH 107
#define WEFT_NEWEST_VERSION "1.1.0"

/* CNI error codes the forwarder itself answers with (the spec's well-known codes). */
#define WEFT_CNI_INVALID_NETWORK_CONFIG 7
#define WEFT_CNI_TRY_AGAIN_LATER 11

/* A growable byte buffer; after a failed allocation it stays empty-handed and `failed` is set. */
struct weft_buf {
  char *data;
  size_t len;
  size_t cap;
  int failed;
};

void weft_buf_add(struct weft_buf *b, const void *bytes, size_t n);
void weft_buf_str(struct weft_buf *b, const char *s);
void weft_buf_free(struct weft_buf *b);

/* What the forwarder reads from the network config: two top-level string fields. */
struct weft_config {
  char api_socket[WEFT_MAX_SOCKET_PATH + 1]; /* "" when absent */
  int api_socket_unusable;                   /* present, but not an absolute path that fits */
  char cni_version[16];                      /* "" when absent, not a string, or too long */
};

/*
 * Scans the top level of a JSON object for "apiSocket" and "cniVersion". Reads at most len bytes of any
 * input, nesting is bounded, nothing is allocated. Returns 0 for a well-formed object, -1 otherwise (what
 * was found before the fault is kept: the agent reports the malformed config itself).
 */
int weft_scan_config(const char *json, size_t len, struct weft_config *out);

/* The version to answer in: the config's when the forwarder speaks it, else the newest. */
const char *weft_answer_version(const struct weft_config *config);

/* {"cniVersion":..,"supportedVersions":[..]} and a newline. */
void weft_version_json(struct weft_buf *out, const char *version);

/* A CNI error object and a newline; details (any bytes) are escaped, and left out when empty. */
void weft_error_json(struct weft_buf *out, const char *version, int code, const char *msg,
                     const char *details, size_t details_len);

/* The CNI_* variables forwarded to the agent, in this order; a NULL value is an unset variable. */
#define WEFT_ENV_COUNT 6
extern const char *const weft_env_names[WEFT_ENV_COUNT];

/*
 * The HTTP request to the agent: POST /v1/cni, body = every set variable as NAME=VALUE and a NUL, an
 * empty entry (a lone NUL), then the config bytes as they came. Returns -1 when the variables exceed
 * WEFT_MAX_ENV.
 */
int weft_build_request(struct weft_buf *out, const char *const values[WEFT_ENV_COUNT], const char *config,
                       size_t config_len);

/* The agent's answer: its HTTP status, the exit status it asks for (-1: none given) and the body. */
struct weft_answer {
  int status;
  int exit_code;
  const char *body;
  size_t body_len;
};

/* Parses a whole HTTP/1.1 response (read to EOF). Returns 0, or -1 when it is not one. */
int weft_parse_answer(const char *text, size_t len, struct weft_answer *out);

#endif
