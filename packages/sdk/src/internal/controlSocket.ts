/**
 * Host side of the guest control protocol (@krunbox/guest's PROTOCOL.md): a unix socket that
 * libkrun connects to when the guest init connects to vsock port 1100. The messages are decoded
 * by @krunbox/guest's `ControlProtocol`.
 */
import { ControlProtocol } from "@krunbox/guest"
import { createServer, type Server, type Socket } from "node:net"

export type GuestMessage = ControlProtocol.GuestMessage

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
      const decoder = new ControlProtocol.LineDecoder()
      socket.on("data", (chunk: string) => {
        for (const message of decoder.push(chunk)) for (const listener of listeners) listener(message)
      })
      socket.on("error", () => {})
      socket.on("close", () => {
        sockets.delete(socket)
        settleDrains()
      })
    })
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
