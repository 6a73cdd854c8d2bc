/**
 * @internal
 */

/**
 * The first character outside printable ASCII (0x20..0x7E), or undefined.
 *
 * @internal
 */
export const firstInvalidCharacter = (
  value: string
): { readonly index: number; readonly codePoint: number } | undefined => {
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index)
    if (unit < 0x20 || unit > 0x7e) return { index, codePoint: value.codePointAt(index) ?? unit }
  }
  return undefined
}
