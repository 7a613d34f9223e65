/* The weft CNI forwarder's input handling: see forward.h. */
#include "forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const weft_env_names[WEFT_ENV_COUNT] = {
    "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"};

/* In ascending order, as the reference plugins list them; the agent speaks exactly these. */
static const char *const supported_versions[] = {"0.4.0", "1.0.0", "1.1.0"};
#define SUPPORTED_COUNT (sizeof supported_versions / sizeof supported_versions[0])

/* Deeper nesting than any network config has; bounds the scanner's recursion. */
#define MAX_DEPTH 64

void weft_buf_add(struct weft_buf *b, const void *bytes, size_t n) {
  if (b->failed || n == 0) {
    return;
  }
  if (n > b->cap - b->len) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n) {
      if (cap > ((size_t)-1) / 2) {
        b->failed = 1;
        return;
      }
      cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

void weft_buf_str(struct weft_buf *b, const char *s) { weft_buf_add(b, s, strlen(s)); }

void weft_buf_free(struct weft_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---- scanning the config ---- */

struct scanner {
  const char *p;
  const char *end;
};

static void skip_space(struct scanner *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
    s->p++;
  }
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/*
 * Consumes a string (s->p at its opening quote). When dst is given, the decoded text goes there with a
 * NUL; *fits is cleared when it does not fit, holds a NUL, or uses a \u escape beyond ASCII (no field the
 * forwarder reads needs one). Returns -1 on malformed JSON.
 */
static int scan_string(struct scanner *s, char *dst, size_t cap, int *fits) {
  size_t n = 0;
  s->p++;
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') {
      if (dst != NULL) dst[n < cap ? n : cap - 1] = '\0';
      return 0;
    }
    if (c < 0x20) {
      return -1;
    }
    if (c == '\\') {
      if (s->p >= s->end) return -1;
      char e = *s->p++;
      switch (e) {
        case '"': case '\\': case '/': c = (unsigned char)e; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
          if (s->end - s->p < 4) return -1;
          int code = 0;
          for (int i = 0; i < 4; i++) {
            int d = hex_digit(s->p[i]);
            if (d < 0) return -1;
            code = code * 16 + d;
          }
          s->p += 4;
          if (code == 0 || code > 0x7f) {
            *fits = 0;
            continue;
          }
          c = (unsigned char)code;
          break;
        }
        default: return -1;
      }
    }
    if (dst != NULL) {
      if (n + 1 < cap) {
        dst[n++] = (char)c;
      } else {
        *fits = 0;
      }
    }
  }
  return -1;
}

static int scan_literal(struct scanner *s, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return -1;
  s->p += n;
  return 0;
}

static int digits(struct scanner *s) {
  const char *start = s->p;
  while (s->p < s->end && *s->p >= '0' && *s->p <= '9') s->p++;
  return s->p > start ? 0 : -1;
}

static int scan_number(struct scanner *s) {
  if (*s->p == '-') s->p++;
  if (s->p < s->end && *s->p == '0') {
    s->p++;
  } else if (digits(s) != 0) {
    return -1;
  }
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (digits(s) != 0) return -1;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (digits(s) != 0) return -1;
  }
  return 0;
}

static int scan_value(struct scanner *s, int depth);

/* A JSON object or array (s->p at its opening bracket); objects' keys are checked, nothing kept. */
static int scan_container(struct scanner *s, int depth) {
  char close = *s->p == '{' ? '}' : ']';
  int fits = 1;
  if (depth >= MAX_DEPTH) return -1;
  s->p++;
  skip_space(s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    return 0;
  }
  for (;;) {
    if (close == '}') {
      if (s->p >= s->end || *s->p != '"' || scan_string(s, NULL, 0, &fits) != 0) return -1;
      skip_space(s);
      if (s->p >= s->end || *s->p++ != ':') return -1;
    }
    if (scan_value(s, depth + 1) != 0) return -1;
    skip_space(s);
    if (s->p >= s->end) return -1;
    char c = *s->p++;
    if (c == close) return 0;
    if (c != ',') return -1;
    skip_space(s);
  }
}

static int scan_value(struct scanner *s, int depth) {
  int fits = 1;
  skip_space(s);
  if (s->p >= s->end) return -1;
  switch (*s->p) {
    case '{': case '[': return scan_container(s, depth);
    case '"': return scan_string(s, NULL, 0, &fits);
    case 't': return scan_literal(s, "true");
    case 'f': return scan_literal(s, "false");
    case 'n': return scan_literal(s, "null");
    default: return *s->p == '-' || (*s->p >= '0' && *s->p <= '9') ? scan_number(s) : -1;
  }
}

/* A top-level string field the forwarder keeps; a repeated key counts as its last value, as in the agent. */
static int scan_kept_string(struct scanner *s, char *dst, size_t cap, int *usable) {
  skip_space(s);
  if (s->p < s->end && *s->p == '"') {
    int fits = 1;
    if (scan_string(s, dst, cap, &fits) != 0) return -1;
    *usable = fits;
    if (!fits) dst[0] = '\0';
    return 0;
  }
  dst[0] = '\0';
  *usable = 0;
  return scan_value(s, 1);
}

int weft_scan_config(const char *json, size_t len, struct weft_config *out) {
  struct scanner s = {json, json + len};
  memset(out, 0, sizeof *out);
  skip_space(&s);
  if (s.p >= s.end || *s.p != '{') return -1;
  s.p++;
  skip_space(&s);
  if (s.p < s.end && *s.p == '}') {
    s.p++;
  } else {
    for (;;) {
      char key[16];
      int fits = 1;
      if (s.p >= s.end || *s.p != '"' || scan_string(&s, key, sizeof key, &fits) != 0) return -1;
      skip_space(&s);
      if (s.p >= s.end || *s.p++ != ':') return -1;
      int usable = 1;
      if (fits && strcmp(key, "apiSocket") == 0) {
        if (scan_kept_string(&s, out->api_socket, sizeof out->api_socket, &usable) != 0) return -1;
        out->api_socket_unusable = !usable || out->api_socket[0] != '/';
      } else if (fits && strcmp(key, "cniVersion") == 0) {
        if (scan_kept_string(&s, out->cni_version, sizeof out->cni_version, &usable) != 0) return -1;
      } else if (scan_value(&s, 1) != 0) {
        return -1;
      }
      skip_space(&s);
      if (s.p >= s.end) return -1;
      char c = *s.p++;
      if (c == '}') break;
      if (c != ',') return -1;
      skip_space(&s);
    }
  }
  skip_space(&s);
  return s.p == s.end ? 0 : -1;
}

const char *weft_answer_version(const struct weft_config *config) {
  for (size_t i = 0; i < SUPPORTED_COUNT; i++) {
    if (strcmp(config->cni_version, supported_versions[i]) == 0) return supported_versions[i];
  }
  return WEFT_NEWEST_VERSION;
}

/* ---- documents the forwarder writes ---- */

static void json_string(struct weft_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  weft_buf_add(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      weft_buf_add(b, esc, 2);
    } else if (c < 0x20 || c >= 0x7f) {
      /* Bytes beyond ASCII as escapes of their Latin-1 value: the output is valid JSON whatever came in. */
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
      weft_buf_add(b, esc, 6);
    } else {
      weft_buf_add(b, &s[i], 1);
    }
  }
  weft_buf_add(b, "\"", 1);
}

void weft_version_json(struct weft_buf *out, const char *version) {
  weft_buf_str(out, "{\"cniVersion\":");
  json_string(out, version, strlen(version));
  weft_buf_str(out, ",\"supportedVersions\":[");
  for (size_t i = 0; i < SUPPORTED_COUNT; i++) {
    if (i > 0) weft_buf_str(out, ",");
    json_string(out, supported_versions[i], strlen(supported_versions[i]));
  }
  weft_buf_str(out, "]}\n");
}

void weft_error_json(struct weft_buf *out, const char *version, int code, const char *msg,
                     const char *details, size_t details_len) {
  char number[16];
  snprintf(number, sizeof number, "%d", code);
  weft_buf_str(out, "{\"cniVersion\":");
  json_string(out, version, strlen(version));
  weft_buf_str(out, ",\"code\":");
  weft_buf_str(out, number);
  weft_buf_str(out, ",\"msg\":");
  json_string(out, msg, strlen(msg));
  if (details_len > 0) {
    weft_buf_str(out, ",\"details\":");
    json_string(out, details, details_len);
  }
  weft_buf_str(out, "}\n");
}

/* ---- talking to the agent ---- */

int weft_build_request(struct weft_buf *out, const char *const values[WEFT_ENV_COUNT], const char *config,
                       size_t config_len) {
  size_t env_len = 1;
  for (int i = 0; i < WEFT_ENV_COUNT; i++) {
    if (values[i] != NULL) env_len += strlen(weft_env_names[i]) + 1 + strlen(values[i]) + 1;
    if (env_len > WEFT_MAX_ENV) return -1;
  }
  char length[32];
  snprintf(length, sizeof length, "%zu", env_len + config_len);
  weft_buf_str(out, "POST /v1/cni HTTP/1.1\r\nHost: weft\r\nConnection: close\r\n"
                    "Content-Type: application/vnd.weft.cni-invocation\r\nContent-Length: ");
  weft_buf_str(out, length);
  weft_buf_str(out, "\r\n\r\n");
  for (int i = 0; i < WEFT_ENV_COUNT; i++) {
    if (values[i] != NULL) {
      weft_buf_str(out, weft_env_names[i]);
      weft_buf_add(out, "=", 1);
      weft_buf_add(out, values[i], strlen(values[i]) + 1);
    }
  }
  weft_buf_add(out, "", 1);
  weft_buf_add(out, config, config_len);
  return 0;
}

/* A decimal in [0, limit] from p (at most n bytes, optional surrounding blanks); -1 if not one. */
static long long header_number(const char *p, size_t n, long long limit) {
  long long v = 0;
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  size_t start = i;
  while (i < n && p[i] >= '0' && p[i] <= '9') {
    v = v * 10 + (p[i] - '0');
    if (v > limit) return -1;
    i++;
  }
  if (i == start) return -1;
  while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
  return i == n ? v : -1;
}

static int header_is(const char *line, size_t n, const char *name) {
  size_t k = strlen(name);
  if (n <= k || line[k] != ':') return 0;
  for (size_t i = 0; i < k; i++) {
    char a = line[i], b = name[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return 0;
  }
  return 1;
}

int weft_parse_answer(const char *text, size_t len, struct weft_answer *out) {
  const char *end = text + len;
  const char *line = text;
  long long content_length = -1;
  out->status = -1;
  out->exit_code = -1;
  out->body = NULL;
  out->body_len = 0;
  if (len < 12 || memcmp(text, "HTTP/1.", 7) != 0 || text[8] != ' ') return -1;
  long long status = header_number(text + 9, 3, 999);
  if (status < 100) return -1;
  out->status = (int)status;
  for (;;) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (eol == NULL) return -1;
    size_t n = (size_t)(eol - line);
    if (n > 0 && line[n - 1] == '\r') n--;
    if (n == 0 && line != text) {
      line = eol + 1;
      break;
    }
    if (header_is(line, n, "Content-Length")) {
      content_length = header_number(line + 15, n - 15, WEFT_MAX_ANSWER);
      if (content_length < 0) return -1;
    } else if (header_is(line, n, "Weft-Cni-Exit")) {
      long long code = header_number(line + 14, n - 14, 255);
      if (code < 0) return -1;
      out->exit_code = (int)code;
    }
    line = eol + 1;
  }
  size_t rest = (size_t)(end - line);
  if (content_length >= 0) {
    if ((size_t)content_length > rest) return -1;
    rest = (size_t)content_length;
  }
  out->body = line;
  out->body_len = rest;
  return 0;
}
