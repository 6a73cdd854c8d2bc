/**
 * Runtime checks of what the builder's methods are given: the types say it, but JavaScript
 * callers (and casts) get past them, and a wrong shape must not run something else
 * (`.args("hello")` ran `echo h e l l o`). Each check throws `InvalidBuilderArgument` at once.
 */
import { InvalidBuilderArgument } from "../errors.js"

/** A check returns a problem (what is wrong, for the message) or undefined when the value fits. */
type Check = (value: unknown) => string | undefined

const fits = (ok: boolean): string | undefined => (ok ? undefined : "")

export const isString: Check = (value) => fits(typeof value === "string")
export const isNumber: Check = (value) => fits(typeof value === "number")
export const isBigint: Check = (value) => fits(typeof value === "bigint")
export const isBoolean: Check = (value) => fits(typeof value === "boolean")
export const isFunction: Check = (value) => fits(typeof value === "function")
export const isObject: Check = (value) => fits(typeof value === "object" && value !== null && !Array.isArray(value))

export const oneOf = (...checks: ReadonlyArray<Check>): Check => (value) =>
  checks.some((check) => check(value) === undefined) ? undefined : ""

export const literal = (...allowed: ReadonlyArray<string>): Check => (value) => fits(typeof value === "string" && allowed.includes(value))

/** An object whose listed fields pass their checks (missing optional fields are allowed). */
export const shape = (fields: Readonly<Record<string, Check>>, optional: ReadonlyArray<string> = []): Check => (value) => {
  if (isObject(value) !== undefined) return ""
  const record = value as Record<string, unknown>
  for (const [key, check] of Object.entries(fields)) {
    if (record[key] === undefined && optional.includes(key)) continue
    if (check(record[key]) !== undefined) return `${key} is ${describe(record[key])}`
  }
  return undefined
}

export const arrayOf = (item: Check): Check => (value) => {
  if (typeof value === "string") return "a string, not an array"
  if (!Array.isArray(value)) return ""
  for (const [index, element] of value.entries()) {
    const problem = item(element)
    if (problem !== undefined) return `item ${index} is ${describe(element)}${problem === "" ? "" : `: ${problem}`}`
  }
  return undefined
}

const describe = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  return typeof value === "object" ? "an object" : typeof value === "function" ? "a function" : String(value)
}

/** Throws `InvalidBuilderArgument` unless `value` passes `check`. */
export const expectArgument = (method: string, value: unknown, check: Check, expected: string, example: string): void => {
  const problem = check(value)
  if (problem === undefined) return
  throw new InvalidBuilderArgument({ method, value, expected, example, ...(problem === "" ? {} : { problem }) })
}
