/**
 * Where krunbox-init's C sources are and how they are built: what `@krunbox/runtime`'s setup
 * needs to compile the guest init (it runs the compiler; this package only describes the build).
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * The sources' folder inside this package (`native/krunbox-init`). `src/` and `dist/` sit at the
 * same depth, so one relative URL serves both.
 *
 * @since 0.1.0
 * @category constants
 */
export const directory: string = fileURLToPath(new URL("../native/krunbox-init", import.meta.url))

/**
 * Every file of the build, headers included: their contents, with {@link cflags}, key the cache
 * of built inits.
 *
 * @since 0.1.0
 * @category constants
 */
export const files: ReadonlyArray<string> = ["krunbox_init.h", "protocol.c", "ports.c", "main.c"]

/**
 * The files given to the compiler.
 *
 * @since 0.1.0
 * @category constants
 */
export const compileUnits: ReadonlyArray<string> = files.filter((name) => name.endsWith(".c"))

/**
 * Compiler flags. The init must be static: a guest rootfs may have another libc or none.
 *
 * @since 0.1.0
 * @category constants
 */
export const cflags: ReadonlyArray<string> = ["-O2", "-static", "-s", "-Wall", "-Wextra"]

/**
 * The binary's file name.
 *
 * @since 0.1.0
 * @category constants
 */
export const binaryName = "krunbox-init"

/**
 * True when `dir` holds the init's sources (its `main.c`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSourceDirectory = (dir: string): boolean => existsSync(`${dir}/main.c`)
