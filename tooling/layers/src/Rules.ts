/**
 * Which workspace package may use which: the layers of docs/architecture.md as data. Imports
 * point downward only; a package missing from this table is itself a violation, so a new package
 * has to be placed in a layer before it can land.
 *
 * @since 0.1.0
 */

/**
 * How a package may be used by the others.
 *
 * @since 0.1.0
 * @category models
 */
export interface PackageRule {
  /** The workspace packages its `src` (and anything it ships) may import. */
  readonly mayUse: ReadonlyArray<string>
  /**
   * Test support and build configuration: only `devDependencies` and test/bench files may refer
   * to it, never shipped code.
   */
  readonly devOnly?: boolean
}

const core = "@krunbox/core"
const ffi = "@krunbox/ffi"
const guest = "@krunbox/guest"
const image = "@krunbox/image"
const runtime = "@krunbox/runtime"
const sdk = "@krunbox/sdk"

/**
 * core ← ffi ← guest ← image, runtime ← sdk ← cli, examples; image uses core only.
 *
 * @since 0.1.0
 * @category constants
 */
export const rules: Readonly<Record<string, PackageRule>> = {
  [core]: { mayUse: [] },
  [ffi]: { mayUse: [core] },
  [guest]: { mayUse: [core, ffi] },
  [image]: { mayUse: [core] },
  [runtime]: { mayUse: [core, ffi, guest] },
  [sdk]: { mayUse: [core, ffi, guest, image, runtime] },
  "@krunbox/cli": { mayUse: [core, ffi, guest, image, runtime, sdk] },
  "@krunbox/examples": { mayUse: [core, ffi, guest, image, runtime, sdk] },
  "@krunbox/boot-l1": { mayUse: [] },
  "@krunbox/layers": { mayUse: [] },
  "@krunbox/testing": { mayUse: [core], devOnly: true },
  "@krunbox/tsconfig": { mayUse: [], devOnly: true }
}
