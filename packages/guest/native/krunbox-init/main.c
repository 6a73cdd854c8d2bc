/*
 * krunbox-init: PID 1 of a krunbox microVM. See docs/guest-init.md.
 *
 * Order of work: mount /proc and /dev, tell the host "ready" over vsock, finish the mounts, find
 * libkrun's stdio ports, bring up lo, set the hostname, apply rlimits and the working directory,
 * fork+exec the workload, reap every child until the workload ends, tell the host "exit", report
 * the status to the VMM through the virtiofs root, sync, reboot.
 */
#define _GNU_SOURCE
#include "krunbox_init.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* libkrun's virtiofs root takes the guest's exit status through this ioctl (krun-devices). */
#define KBI_VIRTIOFS_EXIT_CODE_IOCTL 0x7602
#define KBI_CONTROL_CONNECT_TIMEOUT_MS 2000
#define KBI_MAX_ENV 512

extern char **environ;

static int control_fd = -1;
static char *read_small_file(const char *path, size_t *len_out);
static void fail_setup(const char *stage, int err, const char *message) __attribute__((noreturn));
static int virtiofs_root_fd = -1;

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_msg(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  /* stderr may be missing or non-blocking (libkrun's console): best effort is all we want. */
  ssize_t w = write(STDERR_FILENO, "krunbox-init: ", 14);
  w = write(STDERR_FILENO, line, len);
  w = write(STDERR_FILENO, "\n", 1);
  (void)w;
}

static void send_control(const char *line, size_t len) {
  if (control_fd < 0) return;
  while (len > 0) {
    ssize_t n = send(control_fd, line, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(control_fd);
      control_fd = -1;
      return;
    }
    line += n;
    len -= (size_t)n;
  }
}

static void send_ready(void) {
  struct timespec ts;
  unsigned long long ms = 0;
  if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
    ms = (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000ULL;
  char line[256];
  size_t n = kbi_format_ready(line, sizeof line, ms);
  if (n < sizeof line) send_control(line, n);
}

static void send_error(const char *stage, int err, const char *message) {
  char line[2048];
  size_t n = kbi_format_error(line, sizeof line, stage, err, message);
  if (n < sizeof line) send_control(line, n);
}

static void send_exit(int status, int signal) {
  char line[128];
  size_t n = kbi_format_exit(line, sizeof line, status, signal);
  if (n < sizeof line) send_control(line, n);
}

static int connect_with_timeout(int fd, const struct sockaddr *addr, socklen_t len) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -1;
  int rc = connect(fd, addr, len);
  if (rc < 0 && errno == EINPROGRESS) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int ready;
    do ready = poll(&pfd, 1, KBI_CONTROL_CONNECT_TIMEOUT_MS);
    while (ready < 0 && errno == EINTR);
    if (ready <= 0) return -1;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) return -1;
    rc = 0;
  }
  if (rc < 0) return -1;
  return fcntl(fd, F_SETFL, flags);
}

/* The host may not listen (plain libkrun users): then the init carries on without a channel. */
static void connect_control(const struct kbi_config *cfg) {
  int fd;
  if (cfg->control_socket != NULL) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(cfg->control_socket) >= sizeof addr.sun_path) return;
    strcpy(addr.sun_path, cfg->control_socket);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    if (connect_with_timeout(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { close(fd); return; }
  } else {
    if (cfg->control_port == 0) return;
    struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = KBI_HOST_CID, .svm_port = cfg->control_port};
    fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    if (connect_with_timeout(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { close(fd); return; }
  }
  control_fd = fd;
}

/* ---------------------------------------------------------------- mounts */

static int mount_fs(const char *source, const char *target, const char *type, unsigned long flags,
                    const char *data, int required) {
  if (mkdir(target, 0755) < 0 && errno != EEXIST) {
    /* a missing mount point on a read-only root is only fatal for required mounts */
    if (required) log_msg("mkdir %s: %s", target, strerror(errno));
  }
  if (mount(source, target, type, flags, data) == 0 || errno == EBUSY) return 0;
  if (required) log_msg("mount %s on %s: %s", type, target, strerror(errno));
  return -1;
}

static void ensure_console_fds(void) {
  if (fcntl(STDIN_FILENO, F_GETFD) >= 0 && fcntl(STDOUT_FILENO, F_GETFD) >= 0 &&
      fcntl(STDERR_FILENO, F_GETFD) >= 0)
    return;
  int fd = open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int target = 0; target <= 2; target++) {
    if (fcntl(target, F_GETFD) < 0) dup2(fd, target);
  }
  if (fd > 2) close(fd);
}

static void mount_early(void) {
  mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 1);
  mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 1);
  ensure_console_fds();
}

static void mount_rest(void) {
  mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0);
  mount_fs("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0);
  mount_fs("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 0);
  mount_fs("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0);
  /* devtmpfs has none of these; shells rely on /dev/fd for process substitution */
  if (symlink("/proc/self/fd", "/dev/fd") < 0 && errno != EEXIST) { /* optional */ }
  if (symlink("/proc/self/fd/0", "/dev/stdin") < 0 && errno != EEXIST) { /* optional */ }
  if (symlink("/proc/self/fd/1", "/dev/stdout") < 0 && errno != EEXIST) { /* optional */ }
  if (symlink("/proc/self/fd/2", "/dev/stderr") < 0 && errno != EEXIST) { /* optional */ }
}

/* KRUN_BLOCK_ROOT_*: libkrun serves a near-empty virtiofs root with /newroot for this. */
static int switch_to_block_root(const struct kbi_config *cfg, char *msg, size_t cap) {
  static const char *const guesses[] = {"ext4", "xfs", "btrfs", "erofs", "squashfs", "vfat", NULL};
  const char *single[] = {cfg->block_fstype, NULL};
  const char *const *types =
      (cfg->block_fstype != NULL && *cfg->block_fstype != '\0' && strcmp(cfg->block_fstype, "auto") != 0)
          ? single : guesses;
  unsigned long flags;
  char data[512];
  if (kbi_mount_options(cfg->block_options, &flags, data, sizeof data) != 0) {
    snprintf(msg, cap, "mount options too long: %s", cfg->block_options);
    return EINVAL;
  }
  if (mkdir("/newroot", 0755) < 0 && errno != EEXIST) {
    snprintf(msg, cap, "mkdir /newroot: %s", strerror(errno));
    return errno;
  }
  int err = ENODEV;
  int mounted = 0;
  for (size_t i = 0; types[i] != NULL && !mounted; i++) {
    if (mount(cfg->block_device, "/newroot", types[i], flags, data[0] ? data : NULL) == 0) mounted = 1;
    else err = errno;
  }
  if (!mounted) {
    snprintf(msg, cap, "mount %s on /newroot: %s", cfg->block_device, strerror(err));
    return err;
  }
  mkdir("/newroot/proc", 0555);
  mkdir("/newroot/dev", 0755);
  /* keep the early mounts (and the console on /dev) across the switch when we can */
  int proc_moved = mount("/proc", "/newroot/proc", NULL, MS_MOVE, NULL) == 0;
  int dev_moved = mount("/dev", "/newroot/dev", NULL, MS_MOVE, NULL) == 0;
  if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
    err = errno;
    snprintf(msg, cap, "switch root to %s: %s", cfg->block_device, strerror(err));
    return err;
  }
  if (!proc_moved || !dev_moved) mount_early();
  return 0;
}

static void bring_up_loopback(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) log_msg("bring up lo: %s", strerror(errno));
  }
  close(fd);
}

/*
 * The guest kernel has a dummy0 interface. With TSI (libkrun adds "tsi_hijack" to the kernel
 * command line) guest sockets are proxied by the VMM, but programs that look for a configured
 * non-loopback address (getaddrinfo's AI_ADDRCONFIG) would think there is no network: give dummy0
 * an address from TEST-NET-3 (RFC 5737), a range no real DNS server or peer uses, because TSI
 * tries the guest's own routes first. Without TSI (scope "none") dummy0 serves nothing: remove it,
 * so the guest has loopback only.
 */
#define KBI_DUMMY_IF "dummy0"
#define KBI_DUMMY_ADDR "203.0.113.1"
#define KBI_DUMMY_NETMASK "255.255.255.0"

static void configure_dummy_interface(void) {
  unsigned index = if_nametoindex(KBI_DUMMY_IF);
  if (index == 0) return;
  size_t len = 0;
  char *cmdline = read_small_file("/proc/cmdline", &len);
  int tsi = 0;
  if (cmdline != NULL) {
    char *text = realloc(cmdline, len + 1);
    if (text != NULL) {
      text[len] = '\0';
      tsi = kbi_cmdline_has_token(text, "tsi_hijack");
      cmdline = text;
    }
    free(cmdline);
  }
  if (tsi) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, KBI_DUMMY_IF, IFNAMSIZ - 1);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, KBI_DUMMY_ADDR, &sin->sin_addr);
    if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) log_msg("address %s: %s", KBI_DUMMY_IF, strerror(errno));
    sin = (struct sockaddr_in *)&ifr.ifr_netmask;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, KBI_DUMMY_NETMASK, &sin->sin_addr);
    if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0) log_msg("netmask %s: %s", KBI_DUMMY_IF, strerror(errno));
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
      ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
      if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) log_msg("bring up %s: %s", KBI_DUMMY_IF, strerror(errno));
    }
    close(fd);
    return;
  }
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl < 0) return;
  struct {
    struct nlmsghdr header;
    struct ifinfomsg info;
  } request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof request.info);
  request.header.nlmsg_type = RTM_DELLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = 1;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_index = (int)index;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(nl, &request, request.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) >= 0) {
    char ack[256];
    struct pollfd pfd = {.fd = nl, .events = POLLIN};
    if (poll(&pfd, 1, 1000) > 0) {
      ssize_t got = recv(nl, ack, sizeof ack, 0);
      (void)got; /* best effort: a kernel that keeps dummy0 only leaves an idle interface */
    }
  }
  close(nl);
}

/* ---------------------------------------------------------------- mapped directories */

static int mkdir_p(const char *path) {
  char buf[512];
  if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf) return ENAMETOOLONG;
  for (char *p = buf + 1; ; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) return errno;
      *p = saved;
      if (saved == '\0') break;
    }
  }
  return 0;
}

/* KRUNBOX_MOUNTS (docs/architecture.md, "Mapped directories"): virtiofs tags the runner added. */
static void mount_mapped_dirs(const struct kbi_config *cfg) {
  static struct kbi_mount mounts[KBI_MAX_MOUNTS];
  char msg[1024];
  const char *bad = NULL;
  int n = kbi_parse_mounts(cfg->mounts, mounts, KBI_MAX_MOUNTS, &bad);
  if (n < 0) {
    snprintf(msg, sizeof msg, "invalid KRUNBOX_MOUNTS entry: %s", bad != NULL ? bad : "");
    fail_setup("mount", EINVAL, msg);
  }
  for (int i = 0; i < n; i++) {
    int err = mkdir_p(mounts[i].path);
    if (err == 0 && mount(mounts[i].tag, mounts[i].path, "virtiofs", 0, NULL) < 0) err = errno;
    if (err != 0) {
      snprintf(msg, sizeof msg, "mount virtiofs %s on %s: %s", mounts[i].tag, mounts[i].path, strerror(err));
      fail_setup("mount", err, msg);
    }
  }
}

/* ---------------------------------------------------------------- stdio */

#define KBI_PORT_NAME_WAIT_MS 1000

struct stdio_ports {
  int fd[3]; /* -1 = keep the console for that fd */
};

/*
 * See ports.c: libkrun's krun-stdin/stdout/stderr ports, when the host's fds are not terminals.
 * A virtio port can be open only once at a time, so PID 1 opens each one and the workload
 * inherits it; PID 1's own messages go to krun-stderr too, so the host sees them on stderr.
 */
static void open_stdio_ports(struct stdio_ports *ports) {
  static const char *const names[3] = {"krun-stdin", "krun-stdout", "krun-stderr"};
  for (int fd = 0; fd < 3; fd++) ports->fd[fd] = -1;
  for (int waited = 0; waited < KBI_PORT_NAME_WAIT_MS && kbi_virtio_port_names_pending(KBI_VIRTIO_PORTS_SYSFS) > 0;
       waited += 5) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  for (int fd = 0; fd < 3; fd++) {
    char path[64];
    if (kbi_find_virtio_port(KBI_VIRTIO_PORTS_SYSFS, names[fd], path, sizeof path) != 0) continue;
    ports->fd[fd] = open(path, (fd == 0 ? O_RDONLY : O_WRONLY) | O_NOCTTY | O_CLOEXEC);
    if (ports->fd[fd] < 0) log_msg("open %s (%s): %s", path, names[fd], strerror(errno));
  }
  if (ports->fd[2] >= 0) dup2(ports->fd[2], STDERR_FILENO);
}

/* In the workload's child: connect fds 0-2 to the ports, and make the console its terminal. */
static void attach_stdio(const struct stdio_ports *ports) {
  for (int fd = 0; fd < 3; fd++) {
    if (ports->fd[fd] >= 0) dup2(ports->fd[fd], fd); /* dup2 clears O_CLOEXEC on fd */
  }
  /* The console stays the controlling terminal, so a ^C that libkrun forwards from the host
     reaches the workload as SIGINT even when its stdin is a pipe port. No stealing: a tty that
     is already another session's stays there. */
  if (isatty(STDIN_FILENO)) {
    ioctl(STDIN_FILENO, TIOCSCTTY, 0);
  } else {
    int tty = open("/dev/hvc0", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty >= 0) {
      if (isatty(tty)) ioctl(tty, TIOCSCTTY, 0);
      close(tty);
    }
  }
}

/* ---------------------------------------------------------------- end of life */

static void finish(int status, int signal) __attribute__((noreturn));
static void finish(int status, int signal) {
  send_exit(status, signal);
  if (control_fd >= 0) {
    shutdown(control_fd, SHUT_WR);
    close(control_fd);
    control_fd = -1;
  }
  /* Stop leftover daemons before syncing so nothing writes after the sync. */
  kill(-1, SIGKILL);
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
  sync();
  int fd = virtiofs_root_fd >= 0 ? virtiofs_root_fd : open("/", O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && ioctl(fd, KBI_VIRTIOFS_EXIT_CODE_IOCTL, (unsigned long)status) < 0) {
    /* Not a libkrun virtiofs root (e.g. a host-side test): nothing to report to. */
  }
  reboot(RB_AUTOBOOT);
  /* Without CAP_SYS_BOOT reboot fails; exiting is then the only way to end. */
  _exit(status);
}

static void fail_setup(const char *stage, int err, const char *message) {
  log_msg("%s: %s", stage, message);
  send_error(stage, err, message);
  finish(KBI_STATUS_SETUP_FAILED, -1);
}

/* ---------------------------------------------------------------- workload */

static char *read_small_file(const char *path, size_t *len_out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    if (len == cap) {
      if (cap >= (1u << 20)) { free(buf); buf = NULL; break; }
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) { free(buf); buf = NULL; break; }
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { free(buf); buf = NULL; break; }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (buf != NULL) *len_out = len;
  return buf;
}

int main(int argc, char **argv) {
  if (getpid() != 1) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
      printf("%s protocol %d\n", KBI_AGENT, KBI_PROTOCOL_VERSION);
      return 0;
    }
    fprintf(stderr, "krunbox-init: must run as PID 1 of a krunbox guest (see docs/guest-init.md)\n");
    return KBI_STATUS_SETUP_FAILED;
  }
  char **envp = environ;
  struct kbi_config cfg;
  kbi_config_from_env(envp, &cfg);
  signal(SIGPIPE, SIG_IGN);

  mount_early();
  connect_control(&cfg);
  send_ready();
  virtiofs_root_fd = open("/", O_RDONLY | O_CLOEXEC | O_DIRECTORY);

  char msg[1024];
  if (cfg.block_device != NULL) {
    int err = switch_to_block_root(&cfg, msg, sizeof msg);
    if (err != 0) fail_setup("blockroot", err, msg);
  }
  mount_rest();
  struct stdio_ports stdio_ports;
  open_stdio_ports(&stdio_ports); /* early, so setup errors below reach the host's stderr */
  mount_mapped_dirs(&cfg);
  bring_up_loopback();
  configure_dummy_interface();
  if (sethostname(cfg.hostname, strlen(cfg.hostname)) < 0) log_msg("sethostname: %s", strerror(errno));

  /* The workload: KRUN_INIT + argv from the kernel, else /.krun_config.json, else /bin/sh. */
  static const char *workload_env[KBI_MAX_ENV];
  static char *default_argv[] = {"/bin/sh", NULL};
  char **workload_argv = default_argv;
  const char *workdir = cfg.workdir;
  struct kbi_krun_config file_cfg = {0};
  char *const *base_env = envp;
  if (cfg.exec_path != NULL) {
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (args == NULL) fail_setup("exec", ENOMEM, "out of memory building argv");
    args[0] = (char *)cfg.exec_path;
    for (int i = 1; i < argc; i++) args[i] = argv[i];
    workload_argv = args;
  } else {
    size_t len = 0;
    char *text = read_small_file("/.krun_config.json", &len);
    if (text != NULL) {
      if (kbi_parse_krun_config(text, len, &file_cfg) != 0)
        fail_setup("config", EINVAL, "/.krun_config.json is not valid JSON of the expected shape");
      if (file_cfg.argv != NULL && file_cfg.argv[0] != NULL) workload_argv = file_cfg.argv;
      if (file_cfg.env != NULL) base_env = file_cfg.env;
      if (workdir == NULL) workdir = file_cfg.workdir;
      free(text);
    }
  }
  if (kbi_workload_env(base_env, KBI_DEFAULT_PATH_ENV, workload_env, KBI_MAX_ENV) < 0)
    fail_setup("env", E2BIG, "too many environment variables");

  struct kbi_rlimit limits[KBI_MAX_RLIMITS];
  const char *bad = NULL;
  int nlimits = kbi_parse_rlimits(cfg.rlimits, limits, KBI_MAX_RLIMITS, &bad);
  if (nlimits < 0) {
    snprintf(msg, sizeof msg, "invalid KRUN_RLIMITS entry: %s", bad != NULL ? bad : "");
    fail_setup("rlimit", EINVAL, msg);
  }
  for (int i = 0; i < nlimits; i++) {
    struct rlimit rl = {.rlim_cur = (rlim_t)limits[i].soft, .rlim_max = (rlim_t)limits[i].hard};
    if (setrlimit(limits[i].resource, &rl) < 0) {
      int err = errno;
      snprintf(msg, sizeof msg, "setrlimit(%d, %llu:%llu): %s", limits[i].resource, limits[i].soft,
               limits[i].hard, strerror(err));
      fail_setup("rlimit", err, msg);
    }
  }
  if (workdir != NULL && chdir(workdir) < 0) {
    int err = errno;
    snprintf(msg, sizeof msg, "chdir(%s): %s", workdir, strerror(err));
    fail_setup("workdir", err, msg);
  }

  sigset_t handled, previous;
  sigemptyset(&handled);
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&handled, forwarded[i]);
  sigaddset(&handled, SIGCHLD);
  sigprocmask(SIG_BLOCK, &handled, &previous);

  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) < 0) fail_setup("exec", errno, "pipe2 failed");
  pid_t child = fork();
  if (child < 0) fail_setup("exec", errno, "fork failed");
  if (child == 0) {
    close(exec_pipe[0]);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    setsid();
    attach_stdio(&stdio_ports);
    /* Like execvp, but PATH comes from the workload's env, and a permission problem beats
       "not found" from the other entries. The parent learns the errno through the pipe. */
    const char *path = kbi_env_get((char *const *)workload_env, "PATH");
    const char *cursor = NULL;
    char candidate[4096];
    int first_error = ENOENT;
    while (kbi_next_exec_candidate(workload_argv[0], path, &cursor, candidate, sizeof candidate)) {
      execve(candidate, workload_argv, (char *const *)workload_env);
      if (errno != ENOENT && errno != ENOTDIR && first_error == ENOENT) first_error = errno;
    }
    ssize_t w = write(exec_pipe[1], &first_error, sizeof first_error);
    (void)w;
    _exit(kbi_status_for_exec_errno(first_error));
  }
  close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t got;
  do got = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  close(exec_pipe[0]);
  if (got == (ssize_t)sizeof exec_errno) {
    snprintf(msg, sizeof msg, "cannot execute %s: %s", workload_argv[0], strerror(exec_errno));
    log_msg("%s", msg);
    send_error("exec", exec_errno, msg);
  }

  int status = KBI_STATUS_SETUP_FAILED, signal_number = -1;
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&handled, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int done = 0, wait_status;
    pid_t pid;
    while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
      if (pid == child) {
        status = kbi_status_from_wait(wait_status, &signal_number);
        done = 1;
      }
    }
    if (done) break;
  }
  kbi_free_krun_config(&file_cfg);
  finish(status, signal_number);
}
