// Serve HTTP from the guest and reach it from the host through a port map.
// Run: node src/http-server.ts
import { createServer } from "node:net"
import { MicroVm, UnsupportedOption } from "@krunbox/sdk"

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const port = await freePort()
let vm: MicroVm
try {
  vm = MicroVm.builder()
    .scope("any")
    .portMap([`${port}:${port}`])
    .execPath("/bin/sh")
    .args(["-c", `mkdir -p /tmp/www && echo hello over HTTP > /tmp/www/index.html && exec httpd -f -p ${port} -h /tmp/www`])
    .build()
} catch (error) {
  // only an engine that cannot honour a port map is a reason to skip; anything else is a bug
  if (!UnsupportedOption.isInstance(error)) throw error
  console.log(`skipped: ${error.message}`)
  process.exit(0)
}

const child = vm.spawn({ stdout: "inherit", stderr: "inherit", timeoutMs: 60_000 })
let body: string | undefined
for (let attempt = 0; attempt < 100 && body === undefined; attempt++) {
  try {
    body = await (await fetch(`http://127.0.0.1:${port}/`)).text()
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
await child.kill()
const exit = await child.exited.catch((error: Error) => error)
if (exit instanceof Error) {
  if (!UnsupportedOption.isInstance(exit)) throw exit
  // an engine that cannot honour the port map says so with a typed error before the VM starts
  console.log(`skipped: ${exit.message}`)
} else {
  console.log(`host fetched: ${JSON.stringify(body?.trim())} from guest port ${port} (engine: ${exit.engine})`)
  process.exitCode = body?.trim() === "hello over HTTP" ? 0 : 1
}
