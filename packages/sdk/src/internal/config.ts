/**
 * The validated configuration the engines consume. Interim mirror of `@krunbox/core`'s
 * `MicroVmConfig` (docs/architecture.md "Contracts between packages") until core exports it.
 */
export type RootfsSpec =
  | { readonly _tag: "Native"; readonly path: string }
  | { readonly _tag: "Overlayfs"; readonly paths: ReadonlyArray<string> }

export type Scope = "none" | "group" | "public" | "any"

export interface RlimitSpec {
  readonly resource: number
  readonly name: string
  readonly soft: bigint
  readonly hard: bigint
}

export interface VmConfig {
  readonly logLevel: number
  readonly rootfs: RootfsSpec
  readonly numVcpus: number
  readonly memoryMib: number
  readonly mappedDirs: ReadonlyArray<{ readonly host: string; readonly guest: string }>
  readonly portMap: ReadonlyArray<{ readonly host: number; readonly guest: number }>
  readonly scope: Scope
  readonly ip: string | undefined
  readonly subnet: string | undefined
  readonly rlimits: ReadonlyArray<RlimitSpec>
  readonly workdirPath: string | undefined
  readonly execPath: string
  readonly args: ReadonlyArray<string>
  readonly env: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly consoleOutput: string | undefined
}
