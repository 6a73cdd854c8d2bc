/**
 * `krunbox doctor`: `@krunbox/runtime`'s report, with this SDK's boot probe as the default
 * probe (booting a VM needs the engine, which lives here, above the runtime package).
 *
 * @since 0.1.0
 */
import { Doctor } from "@krunbox/runtime"
import { probeBoot } from "./engine/bootProbe.js"

/**
 * @since 0.1.0
 * @category models
 */
export type BootProbe = Doctor.BootProbe
/**
 * @since 0.1.0
 * @category models
 */
export type BootProbeResult = Doctor.BootProbeResult
/**
 * @since 0.1.0
 * @category models
 */
export type DoctorOptions = Doctor.DoctorOptions
/**
 * @since 0.1.0
 * @category models
 */
export type DoctorReport = Doctor.DoctorReport
/**
 * @since 0.1.0
 * @category models
 */
export type EngineVerdict = Doctor.EngineVerdict
/**
 * @since 0.1.0
 * @category models
 */
export type KvmFlavour = Doctor.KvmFlavour

/**
 * The verdict under PVM (shown instead of running the boot probe).
 *
 * @since 0.1.0
 * @category constants
 */
export const PVM_VERDICT: string = Doctor.PVM_VERDICT

/**
 * Detects the KVM flavour from /dev/kvm, /sys/module and /proc/cpuinfo (`root` is for tests).
 *
 * @since 0.1.0
 * @category probes
 */
export const detectKvm: (root?: string) => DoctorReport["kvm"] = Doctor.detectKvm

/**
 * Renders a report for people (the CLI prints this; `--json` prints the report itself).
 *
 * @since 0.1.0
 * @category doctor
 */
export const format: (report: DoctorReport) => string = Doctor.format

/**
 * Inspects the host and the native runtime; with `bootProbe`, also boots a VM with this SDK's
 * libkrun engine (`probeBoot`) unless `probe` names another. Never throws.
 *
 * @since 0.1.0
 * @category doctor
 */
export const report = (options: DoctorOptions = {}): Promise<DoctorReport> => Doctor.report({ probe: probeBoot, ...options })
