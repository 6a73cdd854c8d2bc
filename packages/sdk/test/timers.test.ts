/**
 * Timeouts longer than Node's timer limit (2^31-1 ms, about 24.8 days): a `timeoutMs` up to the
 * documented maximum is honoured, above it (or not a positive number) is a typed error.
 */
import { afterEach, describe, expect, it, vi } from "vitest"
import { setLongTimeout } from "../src/internal/longTimer.js"
import { InvalidTimeout, MAX_TIMEOUT_MS } from "../src/index.js"
import { VmProcessImpl } from "../src/VmProcess.js"
import { standInSession } from "./helpers/standInSession.js"

describe("timeoutMs beyond Node's 2^31-1 ms timer limit", () => {
  it.each([2 ** 31, 597 * 3_600_000, MAX_TIMEOUT_MS])("timeoutMs %d does not stop the VM early", async (timeoutMs) => {
    const vm = new VmProcessImpl(() => Promise.resolve(standInSession("sleep 0.3; exit 3").session), { timeoutMs })
    expect(await vm.exited).toMatchObject({ status: 3, signal: null, timedOut: false })
  })

  it.each([MAX_TIMEOUT_MS + 1, 0, -5, Number.NaN, Number.POSITIVE_INFINITY, "1000", 10n])(
    "timeoutMs %s is refused with InvalidTimeout naming the value",
    (timeoutMs) => {
      let launched = false
      const spawnIt = () =>
        new VmProcessImpl(() => {
          launched = true
          return Promise.resolve(standInSession("exit 0").session)
        }, { timeoutMs: timeoutMs as number })
      expect(spawnIt).toThrow(InvalidTimeout)
      try {
        spawnIt()
      } catch (error) {
        expect(InvalidTimeout.isInstance(error)).toBe(true)
        expect((error as InvalidTimeout).value).toBe(timeoutMs)
        expect((error as InvalidTimeout).hint).toContain(String(MAX_TIMEOUT_MS))
      }
      expect(launched).toBe(false)
    }
  )
})

describe("setLongTimeout", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("fires once, after the whole duration, for durations above 2^31-1 ms", () => {
    vi.useFakeTimers()
    const fired = vi.fn()
    const total = 3 * 2 ** 31 + 12_345
    setLongTimeout(total, fired)
    vi.advanceTimersByTime(total - 1)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(10 * 2 ** 31)
    expect(fired).toHaveBeenCalledTimes(1)
  })

  it("is cancelled by the function it returns, in any chunk", () => {
    vi.useFakeTimers()
    const fired = vi.fn()
    const cancel = setLongTimeout(2 * 2 ** 31, fired)
    vi.advanceTimersByTime(2 ** 31 + 10)
    cancel()
    vi.advanceTimersByTime(4 * 2 ** 31)
    expect(fired).not.toHaveBeenCalled()
  })
})
