/**
 * The guest's root filesystem: one host directory (`Native`) or a stack of
 * directories (`Overlayfs`, lowest layer first).
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface Native {
  readonly _tag: "Native"
  readonly path: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Overlayfs {
  readonly _tag: "Overlayfs"
  readonly paths: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export type Rootfs = Native | Overlayfs

/**
 * @since 0.1.0
 * @category constructors
 */
export const native = (path: string): Rootfs => ({ _tag: "Native", path })

/**
 * @since 0.1.0
 * @category constructors
 */
export const overlayfs = (paths: ReadonlyArray<string>): Rootfs => ({ _tag: "Overlayfs", paths: [...paths] })

/**
 * Every host directory the rootfs uses.
 *
 * @since 0.1.0
 * @category getters
 */
export const paths = (rootfs: Rootfs): ReadonlyArray<string> =>
  rootfs._tag === "Native" ? [rootfs.path] : rootfs.paths
