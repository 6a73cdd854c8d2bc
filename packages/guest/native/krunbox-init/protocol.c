/*
 * Pure parts of krunbox-init: no system calls here, so the host-side test driver can link this file.
 */
#include "krunbox_init.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* ---------------------------------------------------------------- configuration */

static const char *env_value(const char *entry, const char *name) {
  size_t n = strlen(name);
  if (strncmp(entry, name, n) == 0 && entry[n] == '=') return entry + n + 1;
  return NULL;
}

const char *kbi_env_get(char *const *envp, const char *name) {
  if (envp == NULL) return NULL;
  for (size_t i = 0; envp[i] != NULL; i++) {
    const char *v = env_value(envp[i], name);
    if (v != NULL) return v;
  }
  return NULL;
}

static unsigned parse_port(const char *s, unsigned fallback) {
  if (s == NULL || *s == '\0') return fallback;
  unsigned long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return fallback;
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > 0xffffffffUL) return fallback;
  }
  return (unsigned)v;
}

void kbi_config_from_env(char *const *envp, struct kbi_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->exec_path = kbi_env_get(envp, "KRUN_INIT");
  if (cfg->exec_path != NULL && *cfg->exec_path == '\0') cfg->exec_path = NULL;
  cfg->workdir = kbi_env_get(envp, "KRUN_WORKDIR");
  if (cfg->workdir != NULL && *cfg->workdir == '\0') cfg->workdir = NULL;
  cfg->rlimits = kbi_env_get(envp, "KRUN_RLIMITS");
  cfg->hostname = kbi_env_get(envp, "HOSTNAME");
  if (cfg->hostname == NULL || *cfg->hostname == '\0') cfg->hostname = KBI_DEFAULT_HOSTNAME;
  cfg->block_device = kbi_env_get(envp, "KRUN_BLOCK_ROOT_DEVICE");
  if (cfg->block_device != NULL && *cfg->block_device == '\0') cfg->block_device = NULL;
  cfg->block_fstype = kbi_env_get(envp, "KRUN_BLOCK_ROOT_FSTYPE");
  cfg->block_options = kbi_env_get(envp, "KRUN_BLOCK_ROOT_OPTIONS");
  cfg->control_socket = kbi_env_get(envp, "KRUNBOX_CONTROL_SOCKET");
  if (cfg->control_socket != NULL && *cfg->control_socket == '\0') cfg->control_socket = NULL;
  cfg->mounts = kbi_env_get(envp, "KRUNBOX_MOUNTS");
  cfg->control_port = parse_port(kbi_env_get(envp, "KRUNBOX_CONTROL_PORT"), KBI_DEFAULT_CONTROL_PORT);
}

static const char *const control_vars[] = {
  "KRUN_INIT", "KRUN_WORKDIR", "KRUN_RLIMITS", "KRUN_HOME", "KRUN_TERM",
  "KRUN_BLOCK_ROOT_DEVICE", "KRUN_BLOCK_ROOT_FSTYPE", "KRUN_BLOCK_ROOT_OPTIONS",
  "KRUNBOX_CONTROL_PORT", "KRUNBOX_CONTROL_SOCKET", "KRUNBOX_MOUNTS", NULL,
};

int kbi_is_control_var(const char *entry) {
  for (size_t i = 0; control_vars[i] != NULL; i++) {
    if (env_value(entry, control_vars[i]) != NULL) return 1;
  }
  return 0;
}

static int push_or_replace(const char **out, size_t *n, size_t cap, const char *entry) {
  const char *eq = strchr(entry, '=');
  size_t name_len = eq ? (size_t)(eq - entry) : strlen(entry);
  for (size_t i = 0; i < *n; i++) {
    if (strncmp(out[i], entry, name_len) == 0 && out[i][name_len] == '=') {
      out[i] = entry;
      return 0;
    }
  }
  if (*n + 1 >= cap) return -1;
  out[(*n)++] = entry;
  out[*n] = NULL;
  return 0;
}

int kbi_workload_env(char *const *envp, const char *default_path, const char **out, size_t cap) {
  size_t n = 0;
  if (cap == 0) return -1;
  out[0] = NULL;
  if (envp != NULL) {
    for (size_t i = 0; envp[i] != NULL; i++) {
      if (strchr(envp[i], '=') == NULL || kbi_is_control_var(envp[i])) continue;
      if (push_or_replace(out, &n, cap, envp[i]) != 0) return -1;
    }
    /* "KRUN_HOME=/x" + 5 is "HOME=/x": the renamed entries alias the originals. */
    const char *home = NULL, *term = NULL;
    for (size_t i = 0; envp[i] != NULL; i++) {
      if (env_value(envp[i], "KRUN_HOME") != NULL) home = envp[i] + 5;
      if (env_value(envp[i], "KRUN_TERM") != NULL) term = envp[i] + 5;
    }
    if (home != NULL && push_or_replace(out, &n, cap, home) != 0) return -1;
    if (term != NULL && push_or_replace(out, &n, cap, term) != 0) return -1;
  }
  if (default_path != NULL && kbi_env_get((char *const *)out, "PATH") == NULL) {
    if (push_or_replace(out, &n, cap, default_path) != 0) return -1;
  }
  const char *home = kbi_env_get((char *const *)out, "HOME");
  if (home == NULL || strcmp(home, "/") == 0) {
    if (push_or_replace(out, &n, cap, KBI_DEFAULT_HOME_ENV) != 0) return -1;
  }
  return (int)n;
}

/* ---------------------------------------------------------------- rlimits */

#define KBI_RLIM_INFINITY (~0ULL)
#define KBI_RLIMIT_COUNT 16 /* RLIM_NLIMITS on Linux */

static int parse_limit_value(const char *s, size_t len, unsigned long long *out) {
  if (len == 0) return -1;
  if ((len == 9 && strncmp(s, "unlimited", 9) == 0) || (len == 8 && strncmp(s, "infinity", 8) == 0) ||
      (len == 2 && strncmp(s, "-1", 2) == 0)) {
    *out = KBI_RLIM_INFINITY;
    return 0;
  }
  unsigned long long v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned digit = (unsigned)(s[i] - '0');
    if (v > (KBI_RLIM_INFINITY - digit) / 10) return -1;
    v = v * 10 + digit;
  }
  *out = v;
  return 0;
}

static int parse_rlimit_item(const char *s, size_t len, struct kbi_rlimit *out) {
  const char *eq = memchr(s, '=', len);
  if (eq == NULL || eq == s) return -1;
  unsigned long long id;
  if (parse_limit_value(s, (size_t)(eq - s), &id) != 0 || id >= KBI_RLIMIT_COUNT) return -1;
  const char *values = eq + 1;
  size_t values_len = len - (size_t)(values - s);
  const char *colon = memchr(values, ':', values_len);
  if (colon == NULL) return -1;
  if (parse_limit_value(values, (size_t)(colon - values), &out->soft) != 0) return -1;
  if (parse_limit_value(colon + 1, values_len - (size_t)(colon + 1 - values), &out->hard) != 0) return -1;
  if (out->soft > out->hard) return -1;
  out->resource = (int)id;
  return 0;
}

/* Steps through a comma-separated list, skipping empty items: 1 and the next item, or 0 at the end. */
static int next_list_item(const char **cursor, const char **item, size_t *len) {
  const char *p = *cursor;
  while (*p == ',') p++;
  if (*p == '\0') {
    *cursor = p;
    return 0;
  }
  const char *comma = strchr(p, ',');
  *item = p;
  *len = comma ? (size_t)(comma - p) : strlen(p);
  *cursor = p + *len;
  return 1;
}

int kbi_parse_rlimits(const char *spec, struct kbi_rlimit *out, int max_out, const char **error_at) {
  int n = 0;
  const char *item;
  size_t len;
  if (error_at != NULL) *error_at = NULL;
  if (spec == NULL) return 0;
  while (next_list_item(&spec, &item, &len)) {
    if (n >= max_out || parse_rlimit_item(item, len, &out[n]) != 0) {
      if (error_at != NULL) *error_at = item;
      return -1;
    }
    n++;
  }
  return n;
}

/* ---------------------------------------------------------------- mapped directories */

static int parse_mount_item(const char *s, size_t len, struct kbi_mount *out) {
  const char *colon = memchr(s, ':', len);
  if (colon == NULL || colon == s) return -1;
  size_t tag_len = (size_t)(colon - s);
  size_t path_len = len - tag_len - 1;
  if (tag_len >= sizeof out->tag || path_len == 0 || path_len >= sizeof out->path || colon[1] != '/') return -1;
  memcpy(out->tag, s, tag_len);
  out->tag[tag_len] = '\0';
  memcpy(out->path, colon + 1, path_len);
  out->path[path_len] = '\0';
  return 0;
}

int kbi_parse_mounts(const char *spec, struct kbi_mount *out, int max_out, const char **error_at) {
  int n = 0;
  const char *item;
  size_t len;
  if (error_at != NULL) *error_at = NULL;
  if (spec == NULL) return 0;
  while (next_list_item(&spec, &item, &len)) {
    if (n >= max_out || parse_mount_item(item, len, &out[n]) != 0) {
      if (error_at != NULL) *error_at = item;
      return -1;
    }
    n++;
  }
  return n;
}

/* ---------------------------------------------------------------- kernel command line */

int kbi_cmdline_has_token(const char *cmdline, const char *token) {
  size_t n = strlen(token);
  if (cmdline == NULL || n == 0) return 0;
  for (const char *p = cmdline; *p != '\0';) {
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    const char *start = p;
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') p++;
    if ((size_t)(p - start) == n && strncmp(start, token, n) == 0) return 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- mount options */

int kbi_mount_options(const char *options, unsigned long *flags, char *data, size_t data_cap) {
  static const struct { const char *name; unsigned long set; unsigned long clear; } known[] = {
    {"ro", MS_RDONLY, 0}, {"rw", 0, MS_RDONLY}, {"noatime", MS_NOATIME, 0},
    {"relatime", MS_RELATIME, 0}, {"nosuid", MS_NOSUID, 0}, {"nodev", MS_NODEV, 0},
    {"noexec", MS_NOEXEC, 0}, {"sync", MS_SYNCHRONOUS, 0}, {"defaults", 0, 0},
  };
  size_t used = 0;
  *flags = 0;
  if (data_cap == 0) return -1;
  data[0] = '\0';
  if (options == NULL) return 0;
  const char *p = options;
  while (*p != '\0') {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    int matched = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
      if (strlen(known[i].name) == len && strncmp(p, known[i].name, len) == 0) {
        *flags = (*flags | known[i].set) & ~known[i].clear;
        matched = 1;
        break;
      }
    }
    if (!matched && len > 0) {
      size_t need = len + (used > 0 ? 1 : 0);
      if (used + need + 1 > data_cap) return -1;
      if (used > 0) data[used++] = ',';
      memcpy(data + used, p, len);
      used += len;
      data[used] = '\0';
    }
    p += len;
    if (*p == ',') p++;
  }
  return 0;
}

/* ---------------------------------------------------------------- exec */

/* Marks "no more PATH entries" in the cursor (distinct from any position inside PATH). */
static const char path_exhausted[1] = "";

int kbi_next_exec_candidate(const char *file, const char *path, const char **cursor, char *out,
                            size_t cap) {
  if (file == NULL || *file == '\0' || *cursor == path_exhausted) return 0;
  if (strchr(file, '/') != NULL) {
    *cursor = path_exhausted;
    return (size_t)snprintf(out, cap, "%s", file) < cap;
  }
  if (path == NULL) path = KBI_DEFAULT_PATH;
  const char *p = *cursor == NULL ? path : *cursor;
  for (;;) {
    const char *colon = strchr(p, ':');
    size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);
    *cursor = colon != NULL ? colon + 1 : path_exhausted;
    /* An empty entry means the current directory, as for execvp. */
    int written = len == 0 ? snprintf(out, cap, "%s", file)
                           : snprintf(out, cap, "%.*s/%s", (int)len, p, file);
    if (written >= 0 && (size_t)written < cap) return 1;
    if (colon == NULL) return 0;
    p = colon + 1; /* too long for out: skip it, as execvp skips unusable entries */
  }
}

int kbi_status_for_exec_errno(int err) {
  return (err == ENOENT || err == ENOTDIR) ? KBI_STATUS_NOT_FOUND : KBI_STATUS_CANNOT_EXECUTE;
}

/* ---------------------------------------------------------------- status */

int kbi_status_from_wait(int wait_status, int *signal_out) {
  if (signal_out != NULL) *signal_out = -1;
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    if (signal_out != NULL) *signal_out = sig;
    return 128 + sig > 255 ? 255 : 128 + sig;
  }
  return KBI_STATUS_SETUP_FAILED;
}

/* ---------------------------------------------------------------- JSON output */

struct out_buf {
  char *p;
  size_t cap;
  size_t len; /* grows past cap so callers learn the size needed */
};

static void put_bytes(struct out_buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (b->p != NULL && b->len + 1 < b->cap) b->p[b->len] = s[i];
    b->len++;
  }
  if (b->p != NULL && b->cap > 0) b->p[b->len < b->cap ? b->len : b->cap - 1] = '\0';
}

static void put_str(struct out_buf *b, const char *s) { put_bytes(b, s, strlen(s)); }

static void put_fmt_ull(struct out_buf *b, unsigned long long v) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%llu", v);
  put_bytes(b, tmp, (size_t)n);
}

static void put_fmt_int(struct out_buf *b, int v) {
  char tmp[16];
  int n = snprintf(tmp, sizeof tmp, "%d", v);
  put_bytes(b, tmp, (size_t)n);
}

/* Length of a valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_sequence_length(const unsigned char *s) {
  unsigned char c = s[0];
  if (c >= 0xc2 && c <= 0xdf) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return (s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return (s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) ? 4 : 0;
  }
  return 0;
}

static void put_json_string_body(struct out_buf *b, const char *in) {
  const unsigned char *s = (const unsigned char *)(in != NULL ? in : "");
  while (*s != '\0') {
    unsigned char c = *s;
    if (c == '"') put_str(b, "\\\"");
    else if (c == '\\') put_str(b, "\\\\");
    else if (c == '\n') put_str(b, "\\n");
    else if (c == '\r') put_str(b, "\\r");
    else if (c == '\t') put_str(b, "\\t");
    else if (c == '\b') put_str(b, "\\b");
    else if (c == '\f') put_str(b, "\\f");
    else if (c < 0x20 || c == 0x7f) {
      char tmp[8];
      snprintf(tmp, sizeof tmp, "\\u%04x", c);
      put_str(b, tmp);
    } else if (c < 0x80) {
      put_bytes(b, (const char *)s, 1);
    } else {
      size_t n = utf8_sequence_length(s);
      if (n == 0) {
        put_str(b, "\\ufffd"); /* keep the line valid UTF-8 whatever strerror or a path held */
        n = 1;
      } else {
        put_bytes(b, (const char *)s, n);
      }
      s += n;
      continue;
    }
    s++;
  }
}

size_t kbi_json_escape(char *out, size_t cap, const char *in) {
  struct out_buf b = {out, cap, 0};
  if (out != NULL && cap > 0) out[0] = '\0';
  put_json_string_body(&b, in);
  return b.len;
}

static void put_header(struct out_buf *b, const char *type) {
  put_str(b, "{\"v\":");
  put_fmt_int(b, KBI_PROTOCOL_VERSION);
  put_str(b, ",\"type\":\"");
  put_str(b, type);
  put_str(b, "\"");
}

size_t kbi_format_ready(char *out, size_t cap, unsigned long long uptime_ms) {
  struct out_buf b = {out, cap, 0};
  if (out != NULL && cap > 0) out[0] = '\0';
  put_header(&b, "ready");
  put_str(&b, ",\"agent\":\"" KBI_AGENT "\",\"uptime_ms\":");
  put_fmt_ull(&b, uptime_ms);
  put_str(&b, "}\n");
  return b.len;
}

size_t kbi_format_error(char *out, size_t cap, const char *stage, int err, const char *message) {
  struct out_buf b = {out, cap, 0};
  if (out != NULL && cap > 0) out[0] = '\0';
  put_header(&b, "error");
  put_str(&b, ",\"stage\":\"");
  put_json_string_body(&b, stage);
  put_str(&b, "\",\"errno\":");
  put_fmt_int(&b, err);
  put_str(&b, ",\"message\":\"");
  put_json_string_body(&b, message);
  put_str(&b, "\"}\n");
  return b.len;
}

size_t kbi_format_exit(char *out, size_t cap, int status, int signal) {
  struct out_buf b = {out, cap, 0};
  if (out != NULL && cap > 0) out[0] = '\0';
  put_header(&b, "exit");
  put_str(&b, ",\"status\":");
  put_fmt_int(&b, status);
  put_str(&b, ",\"signal\":");
  if (signal < 0) put_str(&b, "null");
  else put_fmt_int(&b, signal);
  put_str(&b, "}\n");
  return b.len;
}

/* ---------------------------------------------------------------- /.krun_config.json */

struct json_in {
  const char *s;
  const char *end;
  int depth;
};

static void skip_ws(struct json_in *j) {
  while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r')) j->s++;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int read_hex4(struct json_in *j, unsigned *out) {
  if (j->end - j->s < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hex_value(j->s[i]);
    if (h < 0) return -1;
    v = v * 16 + (unsigned)h;
  }
  j->s += 4;
  *out = v;
  return 0;
}

static size_t encode_utf8(unsigned cp, char *o) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f)); return 3;
  }
  o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f)); return 4;
}

/* Parses a JSON string; *out gets a malloc'd copy (NUL-terminated) unless out is NULL. */
static int parse_string(struct json_in *j, char **out) {
  skip_ws(j);
  if (j->s >= j->end || *j->s != '"') return -1;
  j->s++;
  /* Decoded text is never longer than the encoded text. */
  const char *scan = j->s;
  while (scan < j->end && *scan != '"') scan += (*scan == '\\' && scan + 1 < j->end) ? 2 : 1;
  if (scan >= j->end) return -1;
  char *buf = malloc((size_t)(scan - j->s) + 1);
  if (buf == NULL) return -1;
  size_t n = 0;
  while (j->s < j->end && *j->s != '"') {
    char c = *j->s++;
    if ((unsigned char)c < 0x20) goto fail;
    if (c != '\\') { buf[n++] = c; continue; }
    if (j->s >= j->end) goto fail;
    char e = *j->s++;
    switch (e) {
      case '"': buf[n++] = '"'; break;
      case '\\': buf[n++] = '\\'; break;
      case '/': buf[n++] = '/'; break;
      case 'b': buf[n++] = '\b'; break;
      case 'f': buf[n++] = '\f'; break;
      case 'n': buf[n++] = '\n'; break;
      case 'r': buf[n++] = '\r'; break;
      case 't': buf[n++] = '\t'; break;
      case 'u': {
        unsigned cp;
        if (read_hex4(j, &cp) != 0) goto fail;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          unsigned lo;
          if (j->end - j->s < 6 || j->s[0] != '\\' || j->s[1] != 'u') goto fail;
          j->s += 2;
          if (read_hex4(j, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) goto fail;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          goto fail;
        }
        if (cp == 0) goto fail; /* a NUL cannot live in argv or env */
        n += encode_utf8(cp, buf + n);
        break;
      }
      default: goto fail;
    }
  }
  j->s++; /* closing quote */
  buf[n] = '\0';
  if (out != NULL) *out = buf;
  else free(buf);
  return 0;
fail:
  free(buf);
  return -1;
}

static int skip_value(struct json_in *j);

static int skip_container(struct json_in *j, char open, char close) {
  if (++j->depth > 64) return -1;
  j->s++; /* open */
  skip_ws(j);
  if (j->s < j->end && *j->s == close) { j->s++; j->depth--; return 0; }
  for (;;) {
    if (open == '{') {
      if (parse_string(j, NULL) != 0) return -1;
      skip_ws(j);
      if (j->s >= j->end || *j->s != ':') return -1;
      j->s++;
    }
    if (skip_value(j) != 0) return -1;
    skip_ws(j);
    if (j->s >= j->end) return -1;
    if (*j->s == ',') { j->s++; continue; }
    if (*j->s == close) { j->s++; j->depth--; return 0; }
    return -1;
  }
}

static int skip_literal(struct json_in *j) {
  const char *start = j->s;
  while (j->s < j->end && (strchr("+-.eE", *j->s) != NULL || (*j->s >= '0' && *j->s <= '9') ||
                           (*j->s >= 'a' && *j->s <= 'z')))
    j->s++;
  size_t len = (size_t)(j->s - start);
  if (len == 0) return -1;
  if ((len == 4 && strncmp(start, "true", 4) == 0) || (len == 5 && strncmp(start, "false", 5) == 0) ||
      (len == 4 && strncmp(start, "null", 4) == 0))
    return 0;
  return (*start == '-' || (*start >= '0' && *start <= '9')) ? 0 : -1;
}

static int skip_value(struct json_in *j) {
  skip_ws(j);
  if (j->s >= j->end) return -1;
  if (*j->s == '"') return parse_string(j, NULL);
  if (*j->s == '{') return skip_container(j, '{', '}');
  if (*j->s == '[') return skip_container(j, '[', ']');
  return skip_literal(j);
}

static void free_string_array(char **a) {
  if (a == NULL) return;
  for (size_t i = 0; a[i] != NULL; i++) free(a[i]);
  free(a);
}

/* Parses an array of strings, or null (giving NULL). */
static int parse_string_array(struct json_in *j, char ***out) {
  skip_ws(j);
  if (j->end - j->s >= 4 && strncmp(j->s, "null", 4) == 0) { j->s += 4; *out = NULL; return 0; }
  if (j->s >= j->end || *j->s != '[') return -1;
  j->s++;
  size_t n = 0, cap = 4;
  char **a = calloc(cap, sizeof *a);
  if (a == NULL) return -1;
  skip_ws(j);
  if (j->s < j->end && *j->s == ']') { j->s++; *out = a; return 0; }
  for (;;) {
    if (n + 1 >= cap) {
      char **bigger = realloc(a, cap * 2 * sizeof *a);
      if (bigger == NULL) goto fail;
      a = bigger;
      cap *= 2;
    }
    if (parse_string(j, &a[n]) != 0) goto fail;
    a[++n] = NULL;
    skip_ws(j);
    if (j->s >= j->end) goto fail;
    if (*j->s == ',') { j->s++; continue; }
    if (*j->s == ']') { j->s++; *out = a; return 0; }
    goto fail;
  }
fail:
  free_string_array(a);
  return -1;
}

struct krun_config_parts {
  char **entrypoint, **cmd, **process_args, **env, **process_env;
  char *working_dir, *process_cwd;
};

static void replace_array(char ***slot, char **value) { free_string_array(*slot); *slot = value; }
static void replace_string(char **slot, char *value) { free(*slot); *slot = value; }

static int parse_config_object(struct json_in *j, struct krun_config_parts *parts) {
  skip_ws(j);
  if (j->s >= j->end || *j->s != '{') return -1;
  if (++j->depth > 64) return -1;
  j->s++;
  skip_ws(j);
  if (j->s < j->end && *j->s == '}') { j->s++; j->depth--; return 0; }
  for (;;) {
    char *key = NULL;
    if (parse_string(j, &key) != 0) return -1;
    skip_ws(j);
    if (j->s >= j->end || *j->s != ':') { free(key); return -1; }
    j->s++;
    skip_ws(j);
    int rc;
    char **array = NULL;
    char *text = NULL;
    int is_object = j->s < j->end && *j->s == '{';
    if ((strcmp(key, "config") == 0 || strcmp(key, "process") == 0) && is_object) {
      rc = parse_config_object(j, parts);
    } else if (strcmp(key, "Entrypoint") == 0 || strcmp(key, "Cmd") == 0 || strcmp(key, "Env") == 0 ||
               strcmp(key, "args") == 0 || strcmp(key, "env") == 0) {
      rc = parse_string_array(j, &array);
      if (rc == 0) {
        if (strcmp(key, "Entrypoint") == 0) replace_array(&parts->entrypoint, array);
        else if (strcmp(key, "Cmd") == 0) replace_array(&parts->cmd, array);
        else if (strcmp(key, "Env") == 0) replace_array(&parts->env, array);
        else if (strcmp(key, "args") == 0) replace_array(&parts->process_args, array);
        else replace_array(&parts->process_env, array);
      }
    } else if ((strcmp(key, "WorkingDir") == 0 || strcmp(key, "cwd") == 0) && j->s < j->end && *j->s == '"') {
      rc = parse_string(j, &text);
      if (rc == 0) replace_string(strcmp(key, "cwd") == 0 ? &parts->process_cwd : &parts->working_dir, text);
    } else {
      rc = skip_value(j);
    }
    free(key);
    if (rc != 0) return -1;
    skip_ws(j);
    if (j->s >= j->end) return -1;
    if (*j->s == ',') { j->s++; continue; }
    if (*j->s == '}') { j->s++; j->depth--; return 0; }
    return -1;
  }
}

static size_t array_length(char **a) {
  size_t n = 0;
  while (a != NULL && a[n] != NULL) n++;
  return n;
}

static char **concat_arrays(char **a, char **b) {
  size_t na = array_length(a), nb = array_length(b);
  char **out = calloc(na + nb + 1, sizeof *out);
  if (out == NULL) return NULL;
  for (size_t i = 0; i < na; i++) out[i] = a[i];
  for (size_t i = 0; i < nb; i++) out[na + i] = b[i];
  return out;
}

int kbi_parse_krun_config(const char *json, size_t len, struct kbi_krun_config *out) {
  struct json_in j = {json, json + len, 0};
  struct krun_config_parts parts;
  memset(&parts, 0, sizeof parts);
  memset(out, 0, sizeof *out);
  int rc = parse_config_object(&j, &parts);
  if (rc == 0) {
    skip_ws(&j);
    if (j.s != j.end) rc = -1;
  }
  if (rc == 0) {
    /* Image-config style (Entrypoint + Cmd) wins over runtime-spec style (process.args). */
    if (array_length(parts.entrypoint) + array_length(parts.cmd) > 0) {
      out->argv = concat_arrays(parts.entrypoint, parts.cmd);
      if (out->argv == NULL) {
        rc = -1;
      } else {
        free(parts.entrypoint); /* the strings now belong to out->argv */
        free(parts.cmd);
        parts.entrypoint = parts.cmd = NULL;
      }
    } else if (array_length(parts.process_args) > 0) {
      out->argv = parts.process_args;
      parts.process_args = NULL;
    }
    if (parts.env != NULL) { out->env = parts.env; parts.env = NULL; }
    else if (parts.process_env != NULL) { out->env = parts.process_env; parts.process_env = NULL; }
    if (parts.working_dir != NULL && *parts.working_dir != '\0') { out->workdir = parts.working_dir; parts.working_dir = NULL; }
    else if (parts.process_cwd != NULL && *parts.process_cwd != '\0') { out->workdir = parts.process_cwd; parts.process_cwd = NULL; }
  }
  free_string_array(parts.entrypoint);
  free_string_array(parts.cmd);
  free_string_array(parts.process_args);
  free_string_array(parts.env);
  free_string_array(parts.process_env);
  free(parts.working_dir);
  free(parts.process_cwd);
  if (rc != 0) kbi_free_krun_config(out);
  return rc;
}

void kbi_free_krun_config(struct kbi_krun_config *cfg) {
  free_string_array(cfg->argv);
  free_string_array(cfg->env);
  free(cfg->workdir);
  memset(cfg, 0, sizeof *cfg);
}
