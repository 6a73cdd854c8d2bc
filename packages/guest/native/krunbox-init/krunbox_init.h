/*
 * krunbox-init: the guest's PID 1 for krunbox microVMs.
 *
 * This header declares the pure parts of the init (parsing, status encoding, JSON message
 * formatting). They take no action on the system, so a host-side test driver can link them
 * (packages/sdk/test/runtime/init-driver.c) and check them with ordinary inputs.
 * See docs/guest-init.md for the protocol.
 */
#ifndef KRUNBOX_INIT_H
#define KRUNBOX_INIT_H

#include <stddef.h>

#define KBI_AGENT "krunbox-init/0.1.0"
#define KBI_PROTOCOL_VERSION 1
#define KBI_DEFAULT_CONTROL_PORT 1100u
#define KBI_HOST_CID 2u
#define KBI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define KBI_DEFAULT_PATH_ENV "PATH=" KBI_DEFAULT_PATH
#define KBI_DEFAULT_HOSTNAME "krunbox"
#define KBI_MAX_RLIMITS 32
#define KBI_MAX_MOUNTS 32
#define KBI_DEFAULT_HOME_ENV "HOME=/root"

/* Exit statuses the init itself produces (the workload's own status otherwise). */
#define KBI_STATUS_SETUP_FAILED 125
#define KBI_STATUS_CANNOT_EXECUTE 126
#define KBI_STATUS_NOT_FOUND 127

/*
 * Settings the host passes on the kernel command line, which the kernel hands to PID 1 as
 * environment variables. Pointers alias the strings of the environment given to kbi_config_from_env.
 */
struct kbi_config {
  const char *exec_path;        /* KRUN_INIT */
  const char *workdir;          /* KRUN_WORKDIR (NULL or "" = leave as is) */
  const char *rlimits;          /* KRUN_RLIMITS, "ID=cur:max,..." */
  const char *hostname;         /* HOSTNAME (kept in the workload's env too) */
  const char *block_device;     /* KRUN_BLOCK_ROOT_DEVICE */
  const char *block_fstype;     /* KRUN_BLOCK_ROOT_FSTYPE */
  const char *block_options;    /* KRUN_BLOCK_ROOT_OPTIONS */
  const char *control_socket;   /* KRUNBOX_CONTROL_SOCKET: unix socket instead of vsock (host tests) */
  const char *mounts;           /* KRUNBOX_MOUNTS: "tag:/guest/path,..." virtiofs mapped dirs */
  unsigned control_port;        /* KRUNBOX_CONTROL_PORT, 0 = no control channel */
};

struct kbi_rlimit {
  int resource;
  unsigned long long soft;
  unsigned long long hard;
};

/* One mapped directory: a virtiofs tag and where it goes in the guest. */
struct kbi_mount {
  char tag[64];
  char path[512];
};

/* What /.krun_config.json asks for (OCI image config or OCI runtime spec "process" shape). */
struct kbi_krun_config {
  char **argv;      /* NULL-terminated, or NULL when the file names no command */
  char **env;       /* NULL-terminated, or NULL when the file has no env */
  char *workdir;    /* or NULL */
};

/* ---- configuration from the environment ---- */

/* Fills cfg from envp. Never fails: unknown or malformed values fall back to defaults. */
void kbi_config_from_env(char *const *envp, struct kbi_config *cfg);

/* 1 when "NAME=value" is one of the init's control variables, which the workload never sees. */
int kbi_is_control_var(const char *entry);

/*
 * Builds the workload's environment into out (capacity cap, NULL-terminated): every entry of envp
 * except control variables; KRUN_HOME / KRUN_TERM become HOME / TERM (replacing the kernel's
 * defaults); PATH=default_path is added when absent; HOME becomes /root when absent or "/" (the
 * kernel's own default, indistinguishable from a user's HOME=/). Returns the number of entries
 * written (excluding the NULL), or -1 when cap is too small. default_path is a whole "PATH=..."
 * entry.
 */
int kbi_workload_env(char *const *envp, const char *default_path, const char **out, size_t cap);

/* Looks up NAME in a NULL-terminated "NAME=value" array; returns value or NULL. */
const char *kbi_env_get(char *const *envp, const char *name);

/* ---- rlimits ---- */

/*
 * Parses "ID=soft:hard[,ID=soft:hard...]" (ID numeric, values decimal or "unlimited"/"infinity"/-1).
 * Returns the number of entries, or -1 with *error_at pointing at the offending item.
 */
int kbi_parse_rlimits(const char *spec, struct kbi_rlimit *out, int max_out, const char **error_at);

/* ---- mapped directories ---- */

/*
 * Parses KRUNBOX_MOUNTS ("tag:/guest/path[,tag:/path...]"; the path must be absolute). Returns the
 * number of entries, or -1 with *error_at pointing at the offending item.
 */
int kbi_parse_mounts(const char *spec, struct kbi_mount *out, int max_out, const char **error_at);

/* ---- kernel command line ---- */

/* 1 when the whitespace-separated command line has exactly this token (e.g. "tsi_hijack"). */
int kbi_cmdline_has_token(const char *cmdline, const char *token);

/* ---- mount options ---- */

/* Splits "ro,noatime,data=x" into MS_* flags and the filesystem-specific data string. 0 or -1. */
int kbi_mount_options(const char *options, unsigned long *flags, char *data, size_t data_cap);

/* ---- exec ---- */

/*
 * Iterates the candidates execvp would try for file: if file contains '/', file itself once;
 * else each PATH entry joined with file (an empty entry means the current directory).
 * *cursor starts as NULL. Returns 1 with the candidate in out, 0 when there are no more.
 */
int kbi_next_exec_candidate(const char *file, const char *path, const char **cursor, char *out,
                            size_t cap);

/* Status for a failed exec: 127 when nothing was found (ENOENT/ENOTDIR), else 126. */
int kbi_status_for_exec_errno(int err);

/* ---- status ---- */

/*
 * Encodes a waitpid() status as the exit status the host sees: the workload's own status,
 * 128+n when killed by signal n (capped at 255). *signal_out gets n, or -1 when it exited.
 */
int kbi_status_from_wait(int wait_status, int *signal_out);

/* ---- JSON messages (protocol v1, one object per line, '\n' included) ---- */

/* These return the length the full text needs (excluding NUL), like snprintf; out may be NULL. */
size_t kbi_json_escape(char *out, size_t cap, const char *in);
size_t kbi_format_ready(char *out, size_t cap, unsigned long long uptime_ms);
size_t kbi_format_error(char *out, size_t cap, const char *stage, int err, const char *message);
size_t kbi_format_exit(char *out, size_t cap, int status, int signal);

/* ---- virtio-console ports (ports.c: reads sysfs, changes nothing) ---- */

#define KBI_VIRTIO_PORTS_SYSFS "/sys/class/virtio-ports"

/* Finds the port named `wanted` (e.g. "krun-stdout") under sysfs_dir; 0 with "/dev/vportNpM". */
int kbi_find_virtio_port(const char *sysfs_dir, const char *wanted, char *dev_path, size_t cap);

/* How many non-console ports have no name yet (the host names them asynchronously at boot). */
int kbi_virtio_port_names_pending(const char *sysfs_dir);

/* ---- /.krun_config.json ---- */

/* Parses the file's text. 0 on success (fields may stay NULL), -1 on malformed JSON. */
int kbi_parse_krun_config(const char *json, size_t len, struct kbi_krun_config *out);
void kbi_free_krun_config(struct kbi_krun_config *cfg);

#endif
