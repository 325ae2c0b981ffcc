// Placeholder until its owner lands it; the CLI surface is fixed in main.ts.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('peregrine run: not implemented yet\n');
  return 2;
}
