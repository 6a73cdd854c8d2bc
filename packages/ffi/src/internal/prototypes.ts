/**
 * koffi's prototype parser understands C declarations, but not every spelling `libkrun.h` uses.
 * The header's prototypes are rewritten here, keeping the ABI: array parameters become pointers,
 * `uid_t`/`gid_t` become `uint32_t` (their width on Linux and macOS), and out-parameters get
 * koffi's `_Out_` marker.
 */
import { LIBKRUN_FUNCTIONS, type LibkrunFunctionName } from "../Functions.js"

const overrides: Partial<Record<LibkrunFunctionName, string>> = {
  krun_get_default_init:
    "int32_t krun_get_default_init(_Out_ const uint8_t **data_out, _Out_ size_t *len_out)"
}

export const koffiPrototype = (name: LibkrunFunctionName): string =>
  overrides[name] ??
  LIBKRUN_FUNCTIONS[name].prototype
    .replace(/const char \*const (\w+)\[\]/g, "const char **$1")
    .replace(/uint8_t \*const (\w+)/g, "const uint8_t *$1")
    .replace(/\b(?:uid_t|gid_t)\b/g, "uint32_t")
