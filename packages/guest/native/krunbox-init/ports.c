/*
 * libkrun's implicit console: when the host's stdin/stdout/stderr are not terminals, libkrun adds
 * virtio-console ports named "krun-stdin", "krun-stdout" and "krun-stderr" that carry them, beside
 * the console (hvc0), whose output then goes to libkrun's log instead. The workload's fds 0-2 must
 * be connected to those ports, or its output is lost. This file finds them through sysfs; it reads
 * files but changes nothing, so the host-side test driver can run it on a fake tree.
 */
#include "krunbox_init.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_port_name(const char *sysfs_dir, const char *entry, char *name, size_t cap) {
  char path[512];
  if ((size_t)snprintf(path, sizeof path, "%s/%s/name", sysfs_dir, entry) >= sizeof path) return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, name, cap - 1);
  close(fd);
  if (n < 0) return -1;
  name[n] = '\0';
  while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' ')) name[--n] = '\0';
  return 0;
}

/* Port 0 of a device is its console; ports 1.. are the named ones ("vport0p2" -> 2). */
static int is_console_port(const char *entry) {
  const char *p = strrchr(entry, 'p');
  return p != NULL && strcmp(p, "p0") == 0;
}

int kbi_find_virtio_port(const char *sysfs_dir, const char *wanted, char *dev_path, size_t cap) {
  DIR *dir = opendir(sysfs_dir);
  if (dir == NULL) return -1;
  int found = -1;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (strncmp(e->d_name, "vport", 5) != 0) continue;
    char name[128];
    if (read_port_name(sysfs_dir, e->d_name, name, sizeof name) != 0) continue;
    if (strcmp(name, wanted) == 0 && (size_t)snprintf(dev_path, cap, "/dev/%s", e->d_name) < cap) {
      found = 0;
      break;
    }
  }
  closedir(dir);
  return found;
}

int kbi_virtio_port_names_pending(const char *sysfs_dir) {
  DIR *dir = opendir(sysfs_dir);
  if (dir == NULL) return 0;
  int pending = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (strncmp(e->d_name, "vport", 5) != 0 || is_console_port(e->d_name)) continue;
    char name[128];
    if (read_port_name(sysfs_dir, e->d_name, name, sizeof name) != 0 || name[0] == '\0') pending++;
  }
  closedir(dir);
  return pending;
}
