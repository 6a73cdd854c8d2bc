/**
 * Host side of the guest control protocol (docs/architecture.md "Guest ↔ host control protocol"):
 * a unix socket that libkrun connects to when the guest init connects to vsock port 1100.
 */
import { createServer, type Server, type Socket } from "node:net"

export type GuestMessage =
  | { readonly type: "ready"; readonly agent?: string; readonly uptime_ms?: number }
  | { readonly type: "error"; readonly stage?: string; readonly errno?: number; readonly message?: string }
  | { readonly type: "exit"; readonly status?: number; readonly signal?: number | null }

export interface ControlServer {
  readonly path: string
  onMessage(listener: (message: GuestMessage) => void): void
  /**
   * Resolves once every accepted connection has been read to its end (its messages dispatched),
   * or after `maxMs`. After the VMM exited, its end of each connection is closed, so this returns
   * as soon as the kernel's socket buffers are read.
   */
  drain(maxMs: number): Promise<void>
  close(): Promise<void>
}

const MAX_LINE = 64 * 1024

export const listenControl = (path: string): Promise<ControlServer> =>
  new Promise((resolve, reject) => {
    const listeners: Array<(message: GuestMessage) => void> = []
    const sockets = new Set<Socket>()
    const drainWaiters: Array<() => void> = []
    const settleDrains = () => {
      if (sockets.size === 0) for (const waiter of drainWaiters.splice(0)) waiter()
    }
    const server: Server = createServer((socket) => {
      sockets.add(socket)
      socket.setEncoding("utf8")
      let buffer = ""
      socket.on("data", (chunk: string) => {
        buffer += chunk
        let newline = buffer.indexOf("\n")
        while (newline >= 0) {
          const line = buffer.slice(0, newline)
          buffer = buffer.slice(newline + 1)
          dispatch(line)
          newline = buffer.indexOf("\n")
        }
        // a peer that never sends a newline must not grow our memory without bound
        if (buffer.length > MAX_LINE) buffer = ""
      })
      socket.on("error", () => {})
      socket.on("close", () => {
        sockets.delete(socket)
        settleDrains()
      })
    })
    const dispatch = (line: string) => {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        return
      }
      if (typeof parsed !== "object" || parsed === null) return
      const message = parsed as { v?: unknown; type?: unknown }
      // unknown versions and types are ignored, as the protocol requires
      if (message.v !== 1 || (message.type !== "ready" && message.type !== "error" && message.type !== "exit")) return
      for (const listener of listeners) listener(parsed as GuestMessage)
    }
    server.once("error", reject)
    server.listen(path, () => {
      server.off("error", reject)
      server.on("error", () => {})
      resolve({
        path,
        onMessage: (listener) => void listeners.push(listener),
        drain: (maxMs) =>
          new Promise<void>((done) => {
            // one turn of the event loop first, so a connection still in the accept queue is taken
            setImmediate(() => {
              if (sockets.size === 0) return done()
              const timer = setTimeout(() => {
                const index = drainWaiters.indexOf(finish)
                if (index >= 0) drainWaiters.splice(index, 1)
                done()
              }, maxMs)
              timer.unref()
              const finish = () => {
                clearTimeout(timer)
                done()
              }
              drainWaiters.push(finish)
            })
          }),
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
