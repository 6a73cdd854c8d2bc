/*
 * Host-side driver for the pure functions of krunbox-init (native/krunbox-init/protocol.c) and
 * its sysfs lookups (ports.c, run here on a fake tree).
 * Built by init-protocol.test.ts into a temp dir; each subcommand prints its result on stdout.
 */
#include "krunbox_init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int cmd_escape(int argc, char **argv) {
  /* argv[2] is hex, so tests can pass any byte (invalid UTF-8, control characters) */
  if (argc < 3) return 2;
  size_t n = strlen(argv[2]) / 2;
  char *raw = calloc(n + 1, 1);
  for (size_t i = 0; i < n; i++) sscanf(argv[2] + 2 * i, "%2hhx", (unsigned char *)&raw[i]);
  size_t need = kbi_json_escape(NULL, 0, raw);
  char *out = malloc(need + 1);
  size_t got = kbi_json_escape(out, need + 1, raw);
  /* also prove truncation keeps the buffer NUL-terminated */
  char small[4];
  kbi_json_escape(small, sizeof small, raw);
  printf("%s\n%zu %zu %zu\n", out, need, got, strlen(small));
  free(out);
  free(raw);
  return 0;
}

static int cmd_message(int argc, char **argv) {
  char line[4096];
  if (argc >= 3 && strcmp(argv[1], "ready") == 0) {
    kbi_format_ready(line, sizeof line, strtoull(argv[2], NULL, 10));
  } else if (argc >= 5 && strcmp(argv[1], "error") == 0) {
    kbi_format_error(line, sizeof line, argv[2], atoi(argv[3]), argv[4]);
  } else if (argc >= 4 && strcmp(argv[1], "exit") == 0) {
    kbi_format_exit(line, sizeof line, atoi(argv[2]), strcmp(argv[3], "null") == 0 ? -1 : atoi(argv[3]));
  } else {
    return 2;
  }
  fputs(line, stdout);
  return 0;
}

static int cmd_status(int argc, char **argv) {
  if (argc < 4) return 2;
  int value = atoi(argv[3]);
  int wait_status = strcmp(argv[2], "exited") == 0 ? W_EXITCODE(value, 0) : W_EXITCODE(0, value);
  int sig;
  int status = kbi_status_from_wait(wait_status, &sig);
  printf("%d %d\n", status, sig);
  return 0;
}

static int cmd_rlimits(int argc, char **argv) {
  if (argc < 3) return 2;
  struct kbi_rlimit limits[4];
  const char *bad = NULL;
  int n = kbi_parse_rlimits(argv[2], limits, 4, &bad);
  if (n < 0) {
    printf("error at %s\n", bad);
    return 0;
  }
  printf("%d\n", n);
  for (int i = 0; i < n; i++) printf("%d %llu %llu\n", limits[i].resource, limits[i].soft, limits[i].hard);
  return 0;
}

static int cmd_env(int argc, char **argv) {
  /* argv[2..] is the environment the kernel gave PID 1 */
  const char *out[16];
  int n = kbi_workload_env(argv + 2, KBI_DEFAULT_PATH_ENV, out, 16);
  (void)argc;
  printf("%d\n", n);
  for (int i = 0; i < n; i++) printf("%s\n", out[i]);
  return 0;
}

static int cmd_config(int argc, char **argv) {
  struct kbi_config cfg;
  (void)argc;
  kbi_config_from_env(argv + 2, &cfg);
#define SHOW(field) printf(#field "=%s\n", cfg.field != NULL ? cfg.field : "(null)")
  SHOW(exec_path);
  SHOW(workdir);
  SHOW(rlimits);
  SHOW(hostname);
  SHOW(block_device);
  SHOW(block_fstype);
  SHOW(block_options);
  SHOW(control_socket);
  SHOW(mounts);
  printf("control_port=%u\n", cfg.control_port);
  return 0;
}

static int cmd_path(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *cursor = NULL;
  char out[64];
  const char *path = strcmp(argv[2], "(unset)") == 0 ? NULL : argv[2];
  while (kbi_next_exec_candidate(argv[3], path, &cursor, out, sizeof out)) printf("%s\n", out);
  return 0;
}

static int cmd_exec_errno(int argc, char **argv) {
  if (argc < 3) return 2;
  static const struct { const char *name; int value; } names[] = {
    {"ENOENT", ENOENT}, {"ENOTDIR", ENOTDIR}, {"EACCES", EACCES}, {"ENOEXEC", ENOEXEC}, {"E2BIG", E2BIG},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(argv[2], names[i].name) == 0) {
      printf("%d\n", kbi_status_for_exec_errno(names[i].value));
      return 0;
    }
  }
  return 2;
}

static int cmd_mount_options(int argc, char **argv) {
  unsigned long flags;
  char data[32];
  if (argc < 3) return 2;
  if (kbi_mount_options(argv[2], &flags, data, sizeof data) != 0) {
    printf("error\n");
    return 0;
  }
  printf("ro=%d noatime=%d nosuid=%d data=%s\n", (flags & MS_RDONLY) != 0, (flags & MS_NOATIME) != 0,
         (flags & MS_NOSUID) != 0, data);
  return 0;
}

static void print_array(const char *name, char **a) {
  if (a == NULL) {
    printf("%s=(null)\n", name);
    return;
  }
  printf("%s=[", name);
  for (size_t i = 0; a[i] != NULL; i++) printf("%s<%s>", i ? "," : "", a[i]);
  printf("]\n");
}

static int cmd_krun_config(int argc, char **argv) {
  if (argc < 3) return 2;
  struct kbi_krun_config cfg;
  if (kbi_parse_krun_config(argv[2], strlen(argv[2]), &cfg) != 0) {
    printf("invalid\n");
    return 0;
  }
  print_array("argv", cfg.argv);
  print_array("env", cfg.env);
  printf("workdir=%s\n", cfg.workdir != NULL ? cfg.workdir : "(null)");
  kbi_free_krun_config(&cfg);
  return 0;
}

static int cmd_control_var(int argc, char **argv) {
  for (int i = 2; i < argc; i++) printf("%s %d\n", argv[i], kbi_is_control_var(argv[i]));
  return 0;
}

static int cmd_mounts(int argc, char **argv) {
  if (argc < 3) return 2;
  struct kbi_mount mounts[2];
  const char *bad = NULL;
  int n = kbi_parse_mounts(argv[2], mounts, 2, &bad);
  if (n < 0) {
    printf("error at %s\n", bad);
    return 0;
  }
  printf("%d\n", n);
  for (int i = 0; i < n; i++) printf("%s %s\n", mounts[i].tag, mounts[i].path);
  return 0;
}

static int cmd_cmdline_token(int argc, char **argv) {
  if (argc < 4) return 2;
  printf("%d\n", kbi_cmdline_has_token(argv[2], argv[3]));
  return 0;
}

static int cmd_port(int argc, char **argv) {
  if (argc < 4) return 2;
  char dev[64];
  if (kbi_find_virtio_port(argv[2], argv[3], dev, sizeof dev) != 0) printf("none\n");
  else printf("%s\n", dev);
  return 0;
}

static int cmd_ports_pending(int argc, char **argv) {
  if (argc < 3) return 2;
  printf("%d\n", kbi_virtio_port_names_pending(argv[2]));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *c = argv[1];
  if (strcmp(c, "escape") == 0) return cmd_escape(argc, argv);
  if (strcmp(c, "ready") == 0 || strcmp(c, "error") == 0 || strcmp(c, "exit") == 0) return cmd_message(argc, argv);
  if (strcmp(c, "status") == 0) return cmd_status(argc, argv);
  if (strcmp(c, "rlimits") == 0) return cmd_rlimits(argc, argv);
  if (strcmp(c, "env") == 0) return cmd_env(argc, argv);
  if (strcmp(c, "config") == 0) return cmd_config(argc, argv);
  if (strcmp(c, "path") == 0) return cmd_path(argc, argv);
  if (strcmp(c, "exec-errno") == 0) return cmd_exec_errno(argc, argv);
  if (strcmp(c, "mount-options") == 0) return cmd_mount_options(argc, argv);
  if (strcmp(c, "krun-config") == 0) return cmd_krun_config(argc, argv);
  if (strcmp(c, "control-var") == 0) return cmd_control_var(argc, argv);
  if (strcmp(c, "port") == 0) return cmd_port(argc, argv);
  if (strcmp(c, "mounts") == 0) return cmd_mounts(argc, argv);
  if (strcmp(c, "cmdline-token") == 0) return cmd_cmdline_token(argc, argv);
  if (strcmp(c, "ports-pending") == 0) return cmd_ports_pending(argc, argv);
  return 2;
}
