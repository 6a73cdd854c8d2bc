import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/CacheDir.ts", "src/KrunboxError.ts", "src/TerminalText.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: "node",
  target: "node22"
})
