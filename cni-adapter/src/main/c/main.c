/*
 * weft: the CNI plugin executable. A pipe to the node's agent: it reads the CNI_* variables and the
 * network config, answers VERSION itself, sends everything else to the agent over its unix socket (the
 * config's "apiSocket", default /run/weft/weft.sock) and writes the agent's answer to stdout with the
 * agent's exit status. Every CNI decision (validation, IPAM, netlink, result shaping) is the agent's.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "forward.h"

/* Longer than any ADD the agent does, shorter than a runtime's own timeout for the plugin. */
#define AGENT_TIMEOUT_SECONDS 60
/* How much of an unexpected answer is quoted in the error. */
#define QUOTED_ANSWER 512

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads fd to EOF into b, at most limit bytes; returns 1 when there was more, -1 on a read error. */
static int read_all(int fd, struct weft_buf *b, size_t limit) {
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    if ((size_t)r > limit - b->len) return 1;
    weft_buf_add(b, chunk, (size_t)r);
    if (b->failed) return -1;
  }
}

/* Prints a CNI error the forwarder answers itself and returns the exit status for it. */
static int fail(const char *version, int code, const char *msg, const char *details, size_t details_len) {
  struct weft_buf out = {0};
  weft_error_json(&out, version, code, msg, details, details_len);
  if (!out.failed) write_all(STDOUT_FILENO, out.data, out.len);
  weft_buf_free(&out);
  return 1;
}

static int fail_socket(const char *version, const char *what, const char *socket_path, const char *details) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s", what, socket_path);
  return fail(version, WEFT_CNI_TRY_AGAIN_LATER, msg, details, strlen(details));
}

/* Sends the request over the agent's socket and reads the whole answer; -1 (errno set) when it cannot. */
static int ask_agent(const char *socket_path, const struct weft_buf *request, struct weft_buf *answer) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, socket_path, strlen(socket_path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval timeout = {AGENT_TIMEOUT_SECONDS, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int result = -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
      write_all(fd, request->data, request->len) == 0) {
    /* No shutdown(SHUT_WR): the agent would take the half-close for a hang-up. It closes after answering
       ("Connection: close"), which ends the read. */
    int r = read_all(fd, answer, WEFT_MAX_ANSWER);
    if (r == 1) errno = EMSGSIZE;
    result = r == 0 ? 0 : -1;
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return result;
}

int main(void) {
  /* A vanished agent must give an error on stdout, not a silent death by SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  struct weft_buf config_text = {0};
  struct weft_config config;
  int too_long = read_all(STDIN_FILENO, &config_text, WEFT_MAX_CONFIG);
  weft_scan_config(config_text.data ? config_text.data : "", config_text.len, &config);
  const char *version = weft_answer_version(&config);
  if (too_long != 0) {
    const char *why = too_long == 1 ? "the weft plugin accepts at most 1 MiB on stdin" : strerror(errno);
    return fail(version, WEFT_CNI_INVALID_NETWORK_CONFIG, "error reading network config from stdin", why,
                strlen(why));
  }
  const char *command = getenv("CNI_COMMAND");
  if (command != NULL && strcmp(command, "VERSION") == 0) {
    struct weft_buf out = {0};
    weft_version_json(&out, version);
    int written = !out.failed && write_all(STDOUT_FILENO, out.data, out.len) == 0;
    weft_buf_free(&out);
    return written ? 0 : 1;
  }
  if (config.api_socket_unusable) {
    const char *why = "apiSocket must be an absolute path of at most 107 bytes";
    return fail(version, WEFT_CNI_INVALID_NETWORK_CONFIG, "invalid network config", why, strlen(why));
  }
  const char *socket_path = config.api_socket[0] ? config.api_socket : WEFT_DEFAULT_SOCKET;
  const char *values[WEFT_ENV_COUNT];
  for (int i = 0; i < WEFT_ENV_COUNT; i++) values[i] = getenv(weft_env_names[i]);
  struct weft_buf request = {0};
  if (weft_build_request(&request, values, config_text.data ? config_text.data : "", config_text.len) != 0) {
    const char *why = "the CNI_* variables together exceed 64 KiB";
    return fail(version, 4, "invalid environment variables", why, strlen(why));
  }
  if (request.failed) {
    return fail(version, WEFT_CNI_TRY_AGAIN_LATER, "out of memory in the weft plugin", "", 0);
  }
  struct weft_buf answer = {0};
  if (ask_agent(socket_path, &request, &answer) != 0) {
    char details[256];
    snprintf(details, sizeof details, "%s (is weft-agent running on this node?)", strerror(errno));
    return fail_socket(version, "weft agent not reachable at", socket_path, details);
  }
  struct weft_answer parsed;
  if (weft_parse_answer(answer.data ? answer.data : "", answer.len, &parsed) != 0) {
    return fail_socket(version, "malformed answer from the weft agent at", socket_path,
                       "not an HTTP response (is another program listening on the socket?)");
  }
  if (parsed.status != 200 || parsed.exit_code < 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "weft agent at %s answered HTTP %d", socket_path, parsed.status);
    size_t quoted = parsed.body_len < QUOTED_ANSWER ? parsed.body_len : QUOTED_ANSWER;
    return fail(version, WEFT_CNI_TRY_AGAIN_LATER, msg, parsed.body, quoted);
  }
  if (write_all(STDOUT_FILENO, parsed.body, parsed.body_len) != 0) return 1;
  return parsed.exit_code;
}
