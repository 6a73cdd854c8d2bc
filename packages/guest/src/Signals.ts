/**
 * Linux signal numbers, as the agent uses them inside the guest. The host's own numbering may
 * differ (macOS), so the protocol never relies on `os.constants.signals`.
 *
 * @since 0.1.0
 */

/**
 * Signal name → Linux number (x86-64 and arm64 share these).
 *
 * @since 0.1.0
 * @category constants
 */
export const numbers: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31
}

const names: ReadonlyMap<number, string> = new Map(Object.entries(numbers).map(([name, n]) => [n, name]))

/**
 * The Linux number of a signal given by name (`"SIGTERM"`, `"TERM"`) or number; undefined when
 * unknown.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toNumber = (signal: string | number): number | undefined => {
  if (typeof signal === "number") return Number.isInteger(signal) && signal > 0 && signal < 65 ? signal : undefined
  const upper = signal.toUpperCase()
  return numbers[upper.startsWith("SIG") ? upper : `SIG${upper}`]
}

/**
 * The name of a Linux signal number (`SIGRTMIN+n` style numbers give `"SIG<n>"`).
 *
 * @since 0.1.0
 * @category conversions
 */
export const toName = (signal: number): string => names.get(signal) ?? `SIG${signal}`
