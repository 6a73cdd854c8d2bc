import { readFileSync } from "node:fs"

/** Waits until a child process has exited (a zombie, or already reaped), as /proc shows it. */
export const untilExited = async (pid: number): Promise<void> => {
  for (;;) {
    let state: string
    try {
      state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] ?? ""
    } catch {
      return
    }
    if (state === "Z" || state === "X") return
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
