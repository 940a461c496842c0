import { Command } from 'commander';
import { createLoupeClient } from '../../sdk/index.ts';
import { configPath, data, reachable, UsageError, writeConfigFile } from './context.ts';
import { print } from './output.ts';

type Global = () => { url?: string; token?: string; json?: boolean };

/**
 * `loupe login`: checks the URL and token against the server (`GET /api/v1/me`), then stores them
 * in the config file with mode 0600 (docs/cli.md#login).
 */
export function loginCommand(global: Global) {
  return new Command('login')
    .description('Store the server URL and an API token for later commands (checked first)')
    .option('--url <url>', 'server URL (default: --url before the command, LOUPE_URL, or http://127.0.0.1:3000)')
    .option('--token <token>', 'API token (default: LOUPE_TOKEN)')
    .action(async (f: { url?: string; token?: string }) => {
      const g = global();
      const url = f.url ?? g.url ?? process.env.LOUPE_URL ?? 'http://127.0.0.1:3000';
      const token = f.token ?? g.token ?? process.env.LOUPE_TOKEN;
      if (!token) throw new UsageError('loupe login needs --token <token> (or LOUPE_TOKEN)');
      const me = data(await createLoupeClient(url, { token, fetch: reachable(url) }).GET('/api/v1/me')) as { email: string; name: string };
      const file = writeConfigFile({ url, token });
      if (g.json) print({ url, email: me.email, config: file }, true);
      else process.stdout.write(`Logged in to ${url} as ${me.email}; saved to ${file} (mode 0600)\n`);
    });
}

export function logoutCommand() {
  return new Command('logout').description('Forget the stored URL and token').action(async () => {
    const { rmSync } = await import('node:fs');
    rmSync(configPath(), { force: true });
    process.stdout.write(`Removed ${configPath()}\n`);
  });
}

/** `loupe completion bash|zsh`: a completion script generated from the command tree. */
export function completionCommand(program: () => Command) {
  return new Command('completion')
    .description('Print a shell completion script: eval "$(loupe completion bash)"')
    .argument('<shell>', 'bash | zsh')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError('completion takes bash or zsh');
      const root = program();
      const commands = root.commands.map((c) => c.name());
      const cases = root.commands
        .filter((c) => c.commands.length)
        .map((c) => `    ${c.name()}) COMPREPLY=( $(compgen -W "${c.commands.map((s) => s.name()).join(' ')}" -- "$cur") ) ;;`)
        .join('\n');
      const script = `# loupe completion (bash; zsh via bashcompinit)
_loupe() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" i word= pos=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in --url|--token) ((i++)) ;; -*) ;; *) [[ -z $word ]] && word="\${COMP_WORDS[i]}"; ((pos++)) ;; esac
  done
  if [[ $cur == -* ]]; then COMPREPLY=( $(compgen -W "--json --url --token --help" -- "$cur") ); return; fi
  if ((pos == 0)); then COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") ); return; fi
  if ((pos == 1)); then
  case "$word" in
${cases}
  esac
  fi
}
`;
      process.stdout.write(shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${script}complete -F _loupe loupe\n` : `${script}complete -F _loupe loupe\n`);
    });
}
