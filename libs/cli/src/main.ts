/**
 * `peregrine COMMAND …`. Each command lives in its own module under commands/ and is loaded only when used, so
 * `peregrine fields` does not pay for OpenTelemetry or NATS.
 */
const USAGE = `usage: peregrine COMMAND [options]

commands:
  run --all | run STAGE…   run pipeline stages (capture, enrichment, evaluation, output)
                           --rules FILE…  --config FILE  --nats URL
  rules validate FILE…     check rules files; exits non-zero on any error
  rules list [--rules FILE…]
                           print every rule with its priority, source, tags and state
  fields                   list every supported field with its type and description
  replay FILE.scap         run a capture file through the pipeline (--rules FILE…), or print matching
                           events (--filter COND -p FORMAT)
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).run,
  rules: async () => (await import('./commands/rules.ts')).rules,
  fields: async () => (await import('./commands/fields.ts')).fields,
  replay: async () => (await import('./commands/replay.ts')).replay,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`peregrine: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  return (await load())(rest);
}
