/**
 * The layering check: reads every workspace package's package.json and the import specifiers of
 * its source, test and bench files, and reports each dependency that points the wrong way.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import { type PackageRule, rules as defaultRules } from "./Rules.js"

/**
 * One dependency that breaks the layering.
 *
 * @since 0.1.0
 * @category models
 */
export interface Violation {
  /** The package that has the dependency. */
  readonly from: string
  /** Where: `package.json (dependencies)` or a file relative to the workspace root, with its line. */
  readonly where: string
  /** What it refers to (a package name or a relative path). */
  readonly target: string
  readonly reason: string
}

interface WorkspacePackage {
  readonly name: string
  readonly dir: string
  readonly dependencies: ReadonlySet<string>
  readonly devDependencies: ReadonlySet<string>
}

const SOURCE_DIRS = ["src", "test", "bench"] as const
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".turbo", ".out"])

/**
 * Every module specifier a file names (imports, side-effect imports, re-exports, dynamic
 * `import()`, `require()` and `import("x").T` types), with its line number. The file is parsed by
 * TypeScript, so strings and comments that merely look like imports are not counted.
 *
 * @since 0.1.0
 * @category parsing
 */
export const specifiersOf = (text: string, fileName = "file.ts"): ReadonlyArray<{ readonly specifier: string; readonly line: number }> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const found: Array<{ specifier: string; line: number }> = []
  const add = (node: ts.Node | undefined) => {
    if (node !== undefined && ts.isStringLiteralLike(node)) {
      found.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 })
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression)
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal)
    else if (ts.isCallExpression(node)) {
      const callee = node.expression
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) add(node.arguments[0])
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** `@scope/name/sub/path` → `@scope/name`; anything else (relative, node:, bare) → undefined. */
const workspaceName = (specifier: string, names: ReadonlySet<string>): string | undefined => {
  const [scope, name] = specifier.split("/")
  const candidate = scope !== undefined && name !== undefined && scope.startsWith("@") ? `${scope}/${name}` : specifier.split("/")[0]
  return candidate !== undefined && names.has(candidate) ? candidate : undefined
}

const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>

const keysOf = (value: unknown): ReadonlySet<string> =>
  new Set(typeof value === "object" && value !== null ? Object.keys(value) : [])

/** The workspace's package folders, from pnpm-workspace.yaml's `packages:` globs (`dir/*` form). */
const packageDirs = (root: string): ReadonlyArray<string> => {
  const yaml = fs.readFileSync(path.join(root, "pnpm-workspace.yaml"), "utf8")
  const block = /^packages:\s*\n((?:[ \t]+-[^\n]*\n?)+)/m.exec(yaml)?.[1] ?? ""
  const globs = [...block.matchAll(/-\s*["']?([^"'\n]+?)["']?\s*$/gm)].map((m) => m[1]!)
  return globs.flatMap((glob) => {
    if (!glob.endsWith("/*")) return [path.join(root, glob)]
    const parent = path.join(root, glob.slice(0, -2))
    if (!fs.existsSync(parent)) return []
    return fs
      .readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(parent, entry.name))
  }).filter((dir) => fs.existsSync(path.join(dir, "package.json")))
}

const readPackages = (root: string): ReadonlyArray<WorkspacePackage> =>
  packageDirs(root).map((dir) => {
    const json = readJson(path.join(dir, "package.json"))
    return {
      name: String(json["name"]),
      dir,
      dependencies: new Set([...keysOf(json["dependencies"]), ...keysOf(json["peerDependencies"]), ...keysOf(json["optionalDependencies"])]),
      devDependencies: keysOf(json["devDependencies"])
    }
  })

const filesUnder = (dir: string): ReadonlyArray<string> => {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : filesUnder(full)
    return SOURCE_FILE.test(entry.name) ? [full] : []
  })
}

const isInside = (dir: string, file: string): boolean => {
  const relative = path.relative(dir, file)
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative))
}

/**
 * Checks the workspace at `root`. Returns every violation (empty when the layering holds).
 *
 * @since 0.1.0
 * @category checking
 */
export const checkWorkspace = (root: string, rules: Readonly<Record<string, PackageRule>> = defaultRules): ReadonlyArray<Violation> => {
  const packages = readPackages(root)
  const names = new Set(packages.map((p) => p.name))
  const violations: Array<Violation> = []
  const rel = (file: string) => path.relative(root, file)

  for (const pkg of packages) {
    const rule = rules[pkg.name]
    if (rule === undefined) {
      violations.push({
        from: pkg.name,
        where: rel(path.join(pkg.dir, "package.json")),
        target: pkg.name,
        reason: "this package has no layer: add it to tooling/layers/src/Rules.ts (and docs/architecture.md)"
      })
      continue
    }
    const refuse = (target: string, shipped: boolean): string | undefined => {
      if (target === pkg.name) return undefined
      const targetRule = rules[target]
      if (targetRule?.devOnly === true) return shipped ? `${target} is test support: only devDependencies and test files may use it` : undefined
      if (!rule.mayUse.includes(target)) {
        return `${pkg.name} may use ${rule.mayUse.length === 0 ? "no workspace package" : rule.mayUse.join(", ")} (plus test support); ${target} is not below it`
      }
      return undefined
    }

    for (const [field, deps, shipped] of [
      ["dependencies", pkg.dependencies, true],
      ["devDependencies", pkg.devDependencies, false]
    ] as const) {
      for (const dep of deps) {
        if (!names.has(dep)) continue
        const reason = refuse(dep, shipped)
        if (reason !== undefined) violations.push({ from: pkg.name, where: `${rel(path.join(pkg.dir, "package.json"))} (${field})`, target: dep, reason })
      }
    }

    for (const sourceDir of SOURCE_DIRS) {
      const shipped = sourceDir === "src"
      for (const file of filesUnder(path.join(pkg.dir, sourceDir))) {
        for (const { specifier, line } of specifiersOf(fs.readFileSync(file, "utf8"), file)) {
          const where = `${rel(file)}:${line}`
          if (specifier.startsWith(".")) {
            const target = path.resolve(path.dirname(file), specifier)
            if (!isInside(pkg.dir, target)) {
              const owner = packages.find((other) => isInside(other.dir, target))
              violations.push({
                from: pkg.name,
                where,
                target: specifier,
                reason: `reaches outside its package${owner === undefined ? "" : ` into ${owner.name}`} by a relative path: import the package by name (and declare it in package.json)`
              })
            }
            continue
          }
          const target = workspaceName(specifier, names)
          if (target === undefined || target === pkg.name) continue
          const reason = refuse(target, shipped)
          if (reason !== undefined) {
            violations.push({ from: pkg.name, where, target, reason })
            continue
          }
          const declared = shipped ? pkg.dependencies.has(target) : pkg.dependencies.has(target) || pkg.devDependencies.has(target)
          if (!declared) {
            violations.push({
              from: pkg.name,
              where,
              target,
              reason: `imports ${target} without declaring it in package.json (${shipped ? "dependencies" : "dependencies or devDependencies"})`
            })
          }
        }
      }
    }
  }
  return violations
}

/**
 * One line per violation, for people.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (violation: Violation): string => `${violation.where}: ${violation.from} → ${violation.target}: ${violation.reason}`
