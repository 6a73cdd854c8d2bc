import { readFileSync } from "node:fs"

/**
 * Mount points at or below `prefix` in this process's mount namespace: an oracle for "nothing was
 * left mounted", read independently of the image store's own unmount code.
 */
export const mountPointsUnder = (prefix: string): ReadonlyArray<string> =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .flatMap((line) => line.split(" ").slice(4, 5))
    .filter((point) => point === prefix || point.startsWith(`${prefix}/`))
