/**
 * Calls that end or abort a process run in a child process; the assertions are on its exit.
 */
import { describe, expect, it } from "vitest"
import { realLibraryTitle, runChild, skipRealLibrary } from "./support/runtime.js"


const rawLibkrun = `const raw = koffi.load(process.env.KRUNBOX_LIBKRUN);\n`

describe.skipIf(skipRealLibrary)(realLibraryTitle("process-global hazards (real library, child processes)"), () => {
  describe("the logger guard", () => {
    it("without the guard, a second krun_set_log_level aborts the process", () => {
      const child = runChild(`${rawLibkrun}
        const setLogLevel = raw.func("int32_t krun_set_log_level(uint32_t level)");
        setLogLevel(0);
        setLogLevel(0);
        emit({ survived: true });`)
      expect(child.signal).toBe("SIGABRT")
      expect(child.stderr).toMatch(/logger/i)
    })

    it("with it, a second setLogLevel throws LoggerAlreadyInitialized and the process lives on", () => {
      const child = runChild(`
        const krun = FFI.Libkrun.load();
        krun.setLogLevel(FFI.KrunLogLevel.Off);
        let second;
        try { krun.setLogLevel(FFI.KrunLogLevel.Off) } catch (error) { second = error.toJSON() }
        emit({ second, initializedBy: krun.loggerInitializedBy, sameInstance: FFI.Libkrun.load() === krun });`)
      expect(child.status).toBe(0)
      expect(child.result).toMatchObject({
        second: { _tag: "LoggerAlreadyInitialized", function: "krun_set_log_level", initializedBy: "krun_set_log_level" },
        initializedBy: "krun_set_log_level",
        sameInstance: true
      })
    })

    it("initLog counts as the installation: setLogLevel after it is refused", () => {
      const child = runChild(`
        const krun = FFI.Libkrun.load();
        krun.initLog(FFI.KrunLogTarget.Default, FFI.KrunLogLevel.Off, FFI.KrunLogStyle.Never, FFI.KrunLogOption.NoEnv);
        let second;
        try { krun.setLogLevel(FFI.KrunLogLevel.Error) } catch (error) { second = error.toJSON() }
        emit({ second });`)
      expect(child.status).toBe(0)
      expect(child.result).toMatchObject({ second: { _tag: "LoggerAlreadyInitialized", initializedBy: "krun_init_log" } })
    })

    it("a refused initLog installs nothing, so logging can still be set up", () => {
      const child = runChild(`
        const krun = FFI.Libkrun.load();
        const refusals = [];
        try { krun.initLog(0, 1, 0, 0) } catch (error) { refusals.push([error._tag, error.errnoName]) }
        try { krun.initLog(-2, 1, 0, 0) } catch (error) { refusals.push([error._tag, error.errnoName]) }
        try { krun.initLog(2, 1, 7, 0) } catch (error) { refusals.push([error._tag, error.argument]) }
        try { krun.initLog(2, 1, 0, 4) } catch (error) { refusals.push([error._tag, error.argument]) }
        krun.setLogLevel(FFI.KrunLogLevel.Off);
        emit({ refusals, initializedBy: krun.loggerInitializedBy });`)
      expect(child.status).toBe(0)
      expect(child.result).toEqual({
        refusals: [
          ["KrunError", "EINVAL"],
          ["KrunError", "EINVAL"],
          ["InvalidArgument", "style"],
          ["InvalidArgument", "options"]
        ],
        initializedBy: "krun_set_log_level"
      })
    })
  })

  describe("the port map's NULL", () => {
    it("libkrun 1.19 crashes when krun_set_port_map is actually given NULL", () => {
      const child = runChild(`${rawLibkrun}
        const ctx = raw.func("int32_t krun_create_ctx()")();
        raw.func("int32_t krun_set_port_map(uint32_t ctx_id, const char **port_map)")(ctx, null);
        emit({ survived: true });`)
      expect(child.signal).toBe("SIGSEGV")
    })

    it("setPortMap(ctx, null) keeps the default without calling C, and the process lives on", () => {
      const child = runChild(`
        const krun = FFI.Libkrun.load();
        const ctx = krun.createCtx();
        krun.setPortMap(ctx, null);
        krun.freeCtx(ctx);
        emit({ survived: true });`)
      expect(child.status).toBe(0)
      expect(child.result).toEqual({ survived: true })
    })
  })

  describe("krun_start_enter", () => {
    it("with the opt-in, a failure before boot is a KrunError and the process lives on", () => {
      const child = runChild(`
        const krun = FFI.Libkrun.load();
        const ctx = krun.createCtx();
        krun.freeCtx(ctx);
        let error;
        try { krun.startEnter(ctx, { iUnderstandThisEndsTheProcess: true }) } catch (e) { error = e.toJSON() }
        emit({ error });`)
      expect(child.status).toBe(0)
      expect(child.result).toMatchObject({ error: { _tag: "KrunError", function: "krun_start_enter", errnoName: "ENOENT" } })
    })

    it("finds the preloaded libkrunfw: it gets past the kernel check and fails on the bad disk instead", () => {
      const child = runChild(`
        const krun = FFI.Libkrun.load();
        const ctx = krun.createCtx();
        krun.addDisk(ctx, "vda", "/nonexistent/krunbox-disk.img", false);
        let error;
        try { krun.startEnter(ctx, { iUnderstandThisEndsTheProcess: true }) } catch (e) { error = e.toJSON() }
        emit({ error });`)
      expect(child.status).toBe(0)
      expect(child.result).toMatchObject({ error: { _tag: "KrunError", errnoName: "EINVAL" } })
      expect(child.stderr).not.toMatch(/libkrunfw/)
    })

    it("without the preload, libkrun cannot find libkrunfw (unless the system provides it)", () => {
      const child = runChild(`${rawLibkrun}
        let systemProvides = true;
        try { koffi.load("libkrunfw.so.5") } catch { systemProvides = false }
        const ctx = raw.func("int32_t krun_create_ctx()")();
        raw.func("int32_t krun_add_disk(uint32_t, const char *, const char *, bool)")(ctx, "vda", "/nonexistent/krunbox-disk.img", false);
        const code = raw.func("int32_t krun_start_enter(uint32_t ctx_id)")(ctx);
        emit({ systemProvides, code });`)
      expect(child.status).toBe(0)
      const { systemProvides, code } = child.result as { systemProvides: boolean; code: number }
      if (systemProvides) {
        expect(code).toBe(-22)
      } else {
        expect(code).toBe(-2)
        expect(child.stderr).toContain("Couldn't find or load libkrunfw.so.5")
      }
    })
  })
})
