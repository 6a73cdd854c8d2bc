import type { CommandSpec } from "./Spec.js"
import { helpFlag } from "./Spec.js"

const words = (spec: CommandSpec): ReadonlyArray<string> =>
  [...spec.flags, helpFlag].flatMap((f) => [`--${f.name}`, ...(f.alias === undefined ? [] : [`-${f.alias}`])])

const choicesCase = (spec: CommandSpec, indent: string): string =>
  spec.flags
    .filter((f) => f.choices !== undefined)
    .map((f) => `${indent}--${f.name}) COMPREPLY=($(compgen -W "${f.choices!.join(" ")}" -- "$cur")); return ;;`)
    .join("\n")

/** Shell completion scripts generated from the same specs the parser uses. */
export const completion = (shell: "bash" | "zsh" | "fish", commands: ReadonlyArray<CommandSpec>): string => {
  const names = commands.map((c) => c.name).join(" ")
  switch (shell) {
    case "bash":
    case "zsh": {
      const cases = commands
        .map((c) => `    ${c.name})\n      case "$prev" in\n${choicesCase(c, "        ")}\n      esac\n      COMPREPLY=($(compgen -W "${words(c).join(" ")}" -- "$cur")) ;;`)
        .join("\n")
      const bash = [
        "_krunbox() {",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        "  if [ \"$COMP_CWORD\" -eq 1 ]; then",
        `    COMPREPLY=($(compgen -W "${names}" -- "$cur")); return`,
        "  fi",
        '  case "${COMP_WORDS[1]}" in',
        cases,
        "  esac",
        "}",
        "complete -o default -F _krunbox krunbox",
        ""
      ].join("\n")
      return shell === "bash" ? bash : `autoload -U +X bashcompinit && bashcompinit\n${bash}`
    }
    case "fish":
      return [
        "complete -c krunbox -f",
        ...commands.map((c) => `complete -c krunbox -n __fish_use_subcommand -a ${c.name} -d ${JSON.stringify(c.summary)}`),
        ...commands.flatMap((c) =>
          [...c.flags, helpFlag].map((f) =>
            [
              `complete -c krunbox -n "__fish_seen_subcommand_from ${c.name}" -l ${f.name}`,
              f.alias === undefined ? "" : ` -s ${f.alias}`,
              f.kind === "boolean" ? "" : " -r",
              f.choices === undefined ? "" : ` -a ${JSON.stringify(f.choices.join(" "))}`,
              ` -d ${JSON.stringify(f.description)}`
            ].join("")
          )
        ),
        ""
      ].join("\n")
  }
}
