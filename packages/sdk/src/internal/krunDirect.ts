/**
 * TEMPORARY libkrun binding for the runner, until `@krunbox/ffi` exports its loader: the few
 * functions the runner calls, declared with koffi, each failure thrown as a structured
 * {@link KrunCallFailed} (function, errno name). Replace with the ffi loader.
 */
import koffi from "koffi"
import { constants } from "node:os"

export interface KrunCallFailed {
  readonly _tag: "KrunError"
  readonly function: string
  readonly returnCode: number
  readonly errno: number
  readonly errnoName: string
  readonly message: string
  readonly hint: string
}

const errnoNames: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, value]) => [value, name])
)

export interface KrunApi {
  setLogLevel(level: number): void
  createCtx(): number
  freeCtx(ctx: number): void
  setVmConfig(ctx: number, numVcpus: number, memoryMib: number): void
  setRoot(ctx: number, path: string): void
  addVirtiofs(ctx: number, tag: string, path: string): void
  disableImplicitVsock(ctx: number): void
  addVsock(ctx: number, tsiFlags: number): void
  setPortMap(ctx: number, portMap: ReadonlyArray<string>): void
  addVsockPort(ctx: number, port: number, path: string): void
  setRlimits(ctx: number, rlimits: ReadonlyArray<string>): void
  setWorkdir(ctx: number, path: string): void
  setExec(ctx: number, execPath: string, args: ReadonlyArray<string>, env: ReadonlyArray<string>): void
  setConsoleOutput(ctx: number, path: string): void
  startEnter(ctx: number): number
}

const prototypes = {
  setLogLevel: ["krun_set_log_level", "int32_t krun_set_log_level(uint32_t level)"],
  createCtx: ["krun_create_ctx", "int32_t krun_create_ctx()"],
  freeCtx: ["krun_free_ctx", "int32_t krun_free_ctx(uint32_t ctx_id)"],
  setVmConfig: ["krun_set_vm_config", "int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib)"],
  setRoot: ["krun_set_root", "int32_t krun_set_root(uint32_t ctx_id, const char *root_path)"],
  addVirtiofs: ["krun_add_virtiofs", "int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path)"],
  disableImplicitVsock: ["krun_disable_implicit_vsock", "int32_t krun_disable_implicit_vsock(uint32_t ctx_id)"],
  addVsock: ["krun_add_vsock", "int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)"],
  setPortMap: ["krun_set_port_map", "int32_t krun_set_port_map(uint32_t ctx_id, const char **port_map)"],
  addVsockPort: ["krun_add_vsock_port", "int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath)"],
  setRlimits: ["krun_set_rlimits", "int32_t krun_set_rlimits(uint32_t ctx_id, const char **rlimits)"],
  setWorkdir: ["krun_set_workdir", "int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)"],
  setExec: ["krun_set_exec", "int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char **argv, const char **envp)"],
  setConsoleOutput: ["krun_set_console_output", "int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath)"],
  startEnter: ["krun_start_enter", "int32_t krun_start_enter(uint32_t ctx_id)"]
} as const

const nullTerminated = (items: ReadonlyArray<string>): Array<string | null> => [...items, null]

export const loadKrunDirect = (libkrunPath: string, libkrunfwPath: string | null): KrunApi => {
  // libkrun dlopens libkrunfw.so.5 by SONAME at krun_create_ctx: loading it by path first makes
  // that dlopen find this copy
  if (libkrunfwPath !== null) koffi.load(libkrunfwPath)
  const lib = koffi.load(libkrunPath)
  const fns = Object.fromEntries(
    Object.entries(prototypes).map(([method, [, prototype]]) => [method, lib.func(prototype)])
  ) as unknown as Record<keyof typeof prototypes, (...args: Array<unknown>) => number>
  const check = (method: keyof typeof prototypes, rc: number): number => {
    if (rc >= 0) return rc
    const errno = -rc
    const errnoName = errnoNames.get(errno) ?? `errno ${errno}`
    const failure: KrunCallFailed = {
      _tag: "KrunError",
      function: prototypes[method][0],
      returnCode: rc,
      errno,
      errnoName,
      message: `${prototypes[method][0]} failed with ${errnoName}`,
      hint: "check the value passed to this call"
    }
    throw failure
  }
  return {
    setLogLevel: (level) => void check("setLogLevel", fns.setLogLevel(level)),
    createCtx: () => check("createCtx", fns.createCtx()),
    freeCtx: (ctx) => void check("freeCtx", fns.freeCtx(ctx)),
    setVmConfig: (ctx, vcpus, mib) => void check("setVmConfig", fns.setVmConfig(ctx, vcpus, mib)),
    setRoot: (ctx, path) => void check("setRoot", fns.setRoot(ctx, path)),
    addVirtiofs: (ctx, tag, path) => void check("addVirtiofs", fns.addVirtiofs(ctx, tag, path)),
    disableImplicitVsock: (ctx) => void check("disableImplicitVsock", fns.disableImplicitVsock(ctx)),
    addVsock: (ctx, flags) => void check("addVsock", fns.addVsock(ctx, flags)),
    setPortMap: (ctx, ports) => void check("setPortMap", fns.setPortMap(ctx, nullTerminated(ports))),
    addVsockPort: (ctx, port, path) => void check("addVsockPort", fns.addVsockPort(ctx, port, path)),
    setRlimits: (ctx, rlimits) => void check("setRlimits", fns.setRlimits(ctx, nullTerminated(rlimits))),
    setWorkdir: (ctx, path) => void check("setWorkdir", fns.setWorkdir(ctx, path)),
    setExec: (ctx, execPath, args, env) =>
      void check("setExec", fns.setExec(ctx, execPath, nullTerminated(args), nullTerminated(env))),
    setConsoleOutput: (ctx, path) => void check("setConsoleOutput", fns.setConsoleOutput(ctx, path)),
    startEnter: (ctx) => fns.startEnter(ctx)
  }
}
