/**
 * Which libkrun / libkrunfw files the runner will load, per `@krunbox/ffi`'s discovery order,
 * found without loading them into this process.
 */
import { candidates, type LibraryKind } from "@krunbox/ffi"
import { existsSync } from "node:fs"
import { isAbsolute } from "node:path"

/** The first candidate that exists as a file, or undefined (then the runner reports the probes). */
export const locateLibrary = (library: LibraryKind, explicit?: string): string | undefined => {
  for (const candidate of candidates(library, explicit === undefined ? {} : { path: explicit })) {
    if (candidate.manifestProblem !== undefined) continue
    if (isAbsolute(candidate.candidate) && existsSync(candidate.candidate)) return candidate.candidate
  }
  return undefined
}
