/**
 * Guest path normalisation, with the original's rules (microsandbox-utils
 * `normalize_path` with `SupportedPathType::Absolute`, and `paths_overlap`).
 *
 * @internal
 */

/** @internal */
export type Normalized =
  | { readonly _tag: "Ok"; readonly path: string }
  | { readonly _tag: "NotAbsolute" }
  | { readonly _tag: "EscapesRoot" }

/**
 * Resolves `.`, `..`, repeated and trailing slashes. `..` may not climb above
 * `/` (the original rejects that rather than clamping).
 *
 * @internal
 */
export const normalizeAbsolute = (path: string): Normalized => {
  if (!path.startsWith("/")) return { _tag: "NotAbsolute" }
  const components: Array<string> = []
  for (const component of path.split("/")) {
    if (component === "" || component === ".") continue
    if (component === "..") {
      if (components.length === 0) return { _tag: "EscapesRoot" }
      components.pop()
      continue
    }
    components.push(component)
  }
  return { _tag: "Ok", path: `/${components.join("/")}` }
}

/**
 * Whether one normalised path equals, contains, or lies inside the other.
 *
 * @internal
 */
export const overlap = (first: string, second: string): boolean => {
  const a = first.endsWith("/") ? first : `${first}/`
  const b = second.endsWith("/") ? second : `${second}/`
  return a.startsWith(b) || b.startsWith(a)
}
