import type { MicroVmConfig } from "@krunbox/core"

/** The validated configuration every engine consumes: core's `MicroVmConfig`. */
export type VmConfig = MicroVmConfig.MicroVmConfig
