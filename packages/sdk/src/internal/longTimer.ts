/**
 * Node's timers hold at most 2^31-1 ms (about 24.8 days): a longer delay overflows to 1 ms and
 * fires at once. Longer waits are a chain of timers, each at most that long.
 */
export const MAX_TIMER_CHUNK_MS = 2 ** 31 - 1

/**
 * Calls `fire` once after `ms` milliseconds (any finite duration); the returned function cancels
 * it. Like setTimeout, a pending timeout keeps the process alive.
 */
export const setLongTimeout = (ms: number, fire: () => void): (() => void) => {
  let remaining = ms
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    const chunk = Math.min(remaining, MAX_TIMER_CHUNK_MS)
    remaining -= chunk
    timer = setTimeout(() => {
      timer = undefined
      if (remaining > 0) arm()
      else fire()
    }, chunk)
  }
  arm()
  return () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
}
